"""EmbeddedReconciler on hand-written memory histories (none taken from the dev sets)."""

from __future__ import annotations

import numpy as np
import pytest

from sidecar.learn.reconcile.decision import Neighbour, Reconciler
from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler
from sidecar.learn.reconcile.rules import subject_of
from sidecar.store.embedder import MiniLMEmbedder


@pytest.fixture(scope="module")
def reconciler(embedder: MiniLMEmbedder) -> EmbeddedReconciler:
    return EmbeddedReconciler(embedder)


def neighbours_for(embedder: MiniLMEmbedder, fact: str, memories: dict[str, str]) -> list[Neighbour]:
    """Memories scored by cosine to ``fact``, best first (what the store would return)."""
    ids = list(memories)
    vectors = embedder.embed([fact, *memories.values()])
    sims = vectors[1:] @ vectors[0]
    order = np.argsort(-sims)
    return [Neighbour(ids[i], memories[ids[i]], float(max(0.0, sims[i]))) for i in order]


def decide(reconciler, embedder, fact, memories, utterance=""):
    return reconciler.decide(fact, neighbours_for(embedder, fact, memories), utterance=utterance)


MEMORIES = {
    "m-city": "Lives in Leeds",
    "m-diet": "Is keto",
    "m-job": "Works at Ocado as a backend developer",
    "m-editor": "Uses Sublime Text",
    "m-pet": "Has a tabby cat named Biscotti",
}


def test_satisfies_protocol(reconciler: EmbeddedReconciler) -> None:
    assert isinstance(reconciler, Reconciler)


def test_empty_store_adds(reconciler, embedder) -> None:
    decision = decide(reconciler, embedder, "Plays the harp", {})
    assert decision.op == "ADD" and decision.new_text == "Plays the harp" and decision.target_id is None


def test_pure_retraction_deletes_best_match(reconciler, embedder) -> None:
    utterance = "I'm not doing keto anymore."
    decision = decide(reconciler, embedder, utterance, MEMORIES, utterance)
    assert (decision.op, decision.target_id, decision.new_text) == ("DELETE", "m-diet", None)


def test_retraction_phrases_delete(reconciler, embedder) -> None:
    utterance = "Please forget what I said about the cat, that was my neighbour's."
    decision = decide(reconciler, embedder, utterance, MEMORIES, utterance)
    assert decision.op == "DELETE" and decision.target_id == "m-pet"


def test_retraction_without_matching_memory_is_none(reconciler, embedder) -> None:
    utterance = "I stopped going to pottery class."
    decision = decide(reconciler, embedder, utterance, {"m-city": "Lives in Leeds"}, utterance)
    assert decision.op == "NONE" and decision.target_id is None


def test_move_updates_location(reconciler, embedder) -> None:
    fact = "Moved to Sheffield in June"
    decision = decide(reconciler, embedder, fact, MEMORIES, "We finally moved to Sheffield in June!")
    assert (decision.op, decision.target_id, decision.new_text) == ("UPDATE", "m-city", fact)


def test_left_and_went_is_update_not_delete(reconciler, embedder) -> None:
    utterance = "I quit Ocado and joined Monzo as a platform engineer."
    decision = decide(reconciler, embedder, "Joined Monzo as a platform engineer", MEMORIES, utterance)
    assert decision.op == "UPDATE" and decision.target_id == "m-job"


def test_tool_switch_updates(reconciler, embedder) -> None:
    fact = "Switched to Zed as the main editor"
    decision = decide(reconciler, embedder, fact, MEMORIES, "Switched from Sublime to Zed last month.")
    assert decision.op == "UPDATE" and decision.target_id == "m-editor"


def test_paraphrase_is_none(reconciler, embedder) -> None:
    decision = decide(reconciler, embedder, "Lives in Leeds", MEMORIES, "As I said, I live in Leeds.")
    assert decision.op == "NONE" and decision.target_id == "m-city"


def test_a_restatement_cue_repeats_only_a_memory_close_to_the_fact(reconciler, embedder) -> None:
    """ "still" marks a repeat, but the message's other sentences must not pick what is repeated."""
    memories = {"m-conf": "Caroline went to an LGBTQ conference two days ago and it was really special"}
    said = ("Caroline: Thanks, Mell! I'm still looking into counseling and mental health jobs. It's important to me "
            "that people have someone to talk to, and I want to help make that happen.")
    fact = "Caroline is still looking into counseling and mental health jobs"
    decision = decide(reconciler, embedder, fact, memories, said)
    assert decision.op == "ADD"
    memories["m-jobs"] = "Caroline is looking into counseling and mental health jobs"
    assert decide(reconciler, embedder, fact, memories, said).op in ("NONE", "UPDATE")


def test_a_restatement_cue_counts_only_in_the_facts_own_sentence(reconciler, embedder) -> None:
    memories = {"m-store": "Gina found a cool new fashion piece for Gina's store"}
    said = ("Gina: Thanks! Got the tattoo a few years ago, it stands for freedom. A reminder to follow my passions "
            "and express myself. I'm still dancing every week.")
    decision = decide(reconciler, embedder, "Gina got the tattoo a few years ago", memories, said)
    assert decision.op == "ADD"
    memories = {"m-ibu": "Cannot take ibuprofen (triggers asthma)"}
    assert decide(reconciler, embedder, "No ibuprofen", memories, "Reminder: no ibuprofen for me.").op == "NONE"


def test_a_death_with_nothing_to_remove_is_kept(reconciler, embedder) -> None:
    said = "Maria: Hey John. Last week, my grandma passed away and it's been really hard."
    fact = "Last week, Maria's grandma passed away and it's been really hard"
    assert decide(reconciler, embedder, fact, {"m-gym": "Maria goes to the gym on Mondays"}, said).op == "ADD"
    decision = decide(reconciler, embedder, "Cat Biscotti passed away", MEMORIES, "My cat Biscotti passed away.")
    assert decision.op == "DELETE" and decision.target_id == "m-pet"


def test_a_retraction_in_another_sentence_deletes_nothing(reconciler, embedder) -> None:
    memories = {"m-comp": "Jon is hosting a dance competition next month"}
    said = "Jon: Thanks, Gina! I won't quit. I'm gonna keep going, whatever comes my way."
    assert decide(reconciler, embedder, "Jon will not quit", memories, said).op != "DELETE"
    said = "Gina: Don't quit, remember! Here's a pic from when I was dancing - it was a tough road."
    fact = "Here's a pic from when Gina was dancing - it was a tough road"
    assert decide(reconciler, embedder, fact, {"m-job": "Gina lost Gina's job"}, said).op != "DELETE"


def test_a_change_cue_elsewhere_in_a_chat_message_replaces_nothing(reconciler, embedder) -> None:
    memories = {"m-life": "A lot's been going on in Caroline's life"}
    said = "Caroline: We hiked up the hill last weekend. The view from the top was amazing. I'm more relaxed now."
    assert decide(reconciler, embedder, "The view from the top was amazing", memories, said).op == "ADD"


def test_a_change_replaces_only_a_memory_close_to_the_fact(reconciler, embedder) -> None:
    memories = {"m-necklace": "This necklace is super special to Caroline - a gift from her grandma in Sweden"}
    said = "Caroline: My own journey and the support I got made a huge difference. Now I want to help people go through it too."
    assert decide(reconciler, embedder, "Now Caroline wants to help people go through it too", memories, said).op == "ADD"
    decision = decide(reconciler, embedder, "Lives in Manchester now", MEMORIES, "I live in Manchester now.")
    assert decision.op == "UPDATE" and decision.target_id == "m-city"


def test_other_subject_is_add(reconciler, embedder) -> None:
    memories = {"m1": "Likes Rust"}
    decision = decide(reconciler, embedder, "Sister likes Rust", memories, "My sister likes Rust too.")
    assert subject_of("Sister likes Rust") == "sister"
    assert decision.op == "ADD"


def test_separate_item_is_add(reconciler, embedder) -> None:
    memories = {"m1": "Is allergic to peanuts"}
    decision = decide(reconciler, embedder, "Is also allergic to bee stings", memories, "I'm also allergic to bee stings.")
    assert decision.op == "ADD"


def test_refinement_updates_in_place(reconciler, embedder) -> None:
    memories = {"m1": "Has a cat"}
    fact = "Has a cat named Pixel, a grey British shorthair"
    decision = decide(reconciler, embedder, fact, memories, "Our cat is a grey British shorthair called Pixel.")
    assert decision.op == "UPDATE" and decision.target_id == "m1" and decision.new_text == fact


def test_planned_move_is_merged(reconciler, embedder) -> None:
    decision = decide(reconciler, embedder, "Relocating to Bristol in spring", MEMORIES, "We're relocating to Bristol in spring.")
    assert decision.op == "UPDATE" and decision.target_id == "m-city"
    assert decision.new_text == "Lives in Leeds; relocating to Bristol in spring"
