"""EmbeddedReconciler compares values, not just sentences (hand-written cases, none from the dev sets)."""

from __future__ import annotations

import pytest

from sidecar.learn.reconcile.facets import facets
from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler, substituted
from sidecar.store.embedder import MiniLMEmbedder
from tests.learn.reconcile.test_reconcile import neighbours_for


@pytest.fixture(scope="module")
def reconciler(embedder: MiniLMEmbedder) -> EmbeddedReconciler:
    return EmbeddedReconciler(embedder)


def decide(reconciler, embedder, fact: str, memories: dict[str, str], utterance: str = ""):
    return reconciler.decide(fact, neighbours_for(embedder, fact, memories), utterance=utterance)


@pytest.mark.parametrize("fact, memory", [
    ("Project Kestrel2 uses Zig", "Project Halyard9 uses Zig"),
    ("Build box vega3 has 64 GB of RAM", "Build box vega7 has 64 GB of RAM"),
    ("Colleague Ines Duarte works on the billing team", "Colleague Rui Duarte works on the billing team"),
    ("Uses Python 3.12 for the tally scripts", "Uses Python 3.12 for the ledger scripts"),
])
def test_statements_differing_in_a_name_or_number_are_both_kept(reconciler, embedder, fact, memory) -> None:
    decision = decide(reconciler, embedder, fact, {"m": memory})
    assert decision.op == "ADD", decision


def test_a_new_value_of_the_same_property_updates_however_far_the_wording(reconciler, embedder) -> None:
    memories = {"m-os": "Is on a Dell XPS with Windows 11", "m-pet": "Has a whippet named Dot"}
    decision = decide(reconciler, embedder, "Switched to a Framework laptop running Fedora", memories,
                      utterance="Switched to a Framework laptop running Fedora, so no more Windows for me.")
    assert (decision.op, decision.target_id) == ("UPDATE", "m-os")


def test_a_dose_change_updates_the_dose_of_that_drug(reconciler, embedder) -> None:
    memories = {"m-dose": "Takes 25 mg of quetiapine at night", "m-city": "Lives in Aarhus"}
    decision = decide(reconciler, embedder, "Psychiatrist raised quetiapine to 50 mg at night", memories)
    assert (decision.op, decision.target_id) == ("UPDATE", "m-dose")


def test_a_retraction_deletes_the_memory_of_that_property(reconciler, embedder) -> None:
    memories = {"m-diet": "Fish is fine but no other meat", "m-allergy": "Is allergic to sesame"}
    said = "Small update: I'm not pescatarian anymore."
    decision = decide(reconciler, embedder, said, memories, utterance=said)
    assert (decision.op, decision.target_id) == ("DELETE", "m-diet")


def test_a_new_tool_said_with_anymore_is_not_a_bare_retraction(reconciler, embedder) -> None:
    memories = {"m-pm": "Uses conda for Python environments"}
    said = "There's no pip or conda on this laptop anymore; I run everything through uv now."
    decision = decide(reconciler, embedder, "Runs everything through uv; no pip or conda anymore", memories,
                      utterance=said)
    assert decision.op in ("UPDATE", "ADD") and decision.new_text and "uv" in decision.new_text


def test_an_incidental_property_word_does_not_swallow_a_new_fact(reconciler, embedder) -> None:
    memories = {"m-diet": "Is vegetarian, for ethical reasons"}
    decision = decide(reconciler, embedder, "Has a peanut allergy, which makes vegetarian protein harder",
                      memories)
    assert decision.op == "ADD", decision


def test_a_restatement_of_the_same_value_is_none(reconciler, embedder) -> None:
    memories = {"m-shell": "Uses fish shell"}
    decision = decide(reconciler, embedder, "Uses fish shell everywhere", memories,
                      utterance="Like I said, fish shell everywhere.")
    assert (decision.op, decision.target_id) == ("NONE", "m-shell")


@pytest.mark.parametrize("old, new, expected", [
    ("Team uses Mocha for tests", "We switched from Mocha to Vitest", "Team uses Vitest for tests"),
    ("Takes 10 mg of escitalopram", "Doctor upped my escitalopram to 15 mg", "Takes 15 mg of escitalopram"),
    ("Works at Zalando as a designer", "Joined Miro as a product manager", None),  # more changed than one value
    ("Lives in Graz, near the old town", "Moved to Linz", None),  # two old values: the fact is stored as said
])
def test_an_update_rewrites_the_one_changed_value_in_place(old: str, new: str, expected: str | None) -> None:
    assert substituted(old, new, facets(old), facets(new)) == expected


def test_an_explicit_switch_is_stored_in_the_memorys_own_words(reconciler, embedder) -> None:
    decision = decide(reconciler, embedder, "Team switched from Yarn to pnpm", {"m": "Monorepo uses Yarn for installs"})
    assert (decision.op, decision.new_text) == ("UPDATE", "Monorepo uses pnpm for installs")
