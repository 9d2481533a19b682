"""The consolidation planner on hand-written scopes, with the real MiniLM vectors."""

from __future__ import annotations

import pytest

from sidecar.learn.consolidate.facets import Facet, facet_of
from sidecar.learn.consolidate.planner import RESTATES, SUPERSEDES, Memory, partitions, plan_groups
from sidecar.store.embedder import MiniLMEmbedder


def memories(*texts: str, project: str | None = None) -> list[Memory]:
    """One memory per text, oldest first (their times order them)."""
    return [Memory(f"m{i}", text, f"2026-01-{i + 1:02d}T00:00:00+00:00", ("alice", None, None), project)
            for i, text in enumerate(texts)]


def plan(embedder: MiniLMEmbedder, rows: list[Memory]):
    return plan_groups(rows, embedder.embed([m.text for m in rows]))


def deleted(groups) -> dict[str, str]:
    return {r.memory.text: r.relation for g in groups for r in g.removals}


@pytest.mark.parametrize("text, facet", [
    ("Lives in Bergen", Facet("", "residence", "bergen")),
    ("Brother Javier lives in Valencia", Facet("brother javier", "residence", "valencia")),
    ("Takes 100 mg sertraline daily", Facet("", "dose of sertraline", "100 mg")),
    ("Is vegan (no eggs or dairy)", Facet("", "diet", "vegan")),
    ("My manager is Priyanka", Facet("", "manager", "priyanka")),
    ("Lives in a small flat", None),          # not a place name: coexists with a city
    ("Doesn't live in Oslo anymore", None),   # a negation is no current value
    ("Uses Rust", None),                      # several values at once
])
def test_facets_read_single_valued_properties(text: str, facet: Facet | None) -> None:
    assert facet_of(text) == facet


def test_a_newer_value_supersedes_the_stale_one(embedder: MiniLMEmbedder) -> None:
    rows = memories("Lives in Oslo", "Works at Spotify as a data engineer", "Takes 50 mg sertraline daily",
                    "Lives in Bergen", "Works at Google", "Takes 100 mg sertraline daily")
    groups = plan(embedder, rows)
    assert deleted(groups) == {"Lives in Oslo": SUPERSEDES, "Works at Spotify as a data engineer": SUPERSEDES,
                               "Takes 50 mg sertraline daily": SUPERSEDES}
    assert {g.survivor.text for g in groups} == {"Lives in Bergen", "Works at Google", "Takes 100 mg sertraline daily"}


def test_restatements_keep_the_most_complete(embedder: MiniLMEmbedder) -> None:
    rows = memories("Lives in Oslo (Grünerløkka area)", "Drinks espresso every morning",
                    "Drinks espresso each morning", "Lives in Oslo")
    groups = plan(embedder, rows)
    assert deleted(groups) == {"Lives in Oslo": RESTATES, "Drinks espresso every morning": RESTATES}
    assert {g.survivor.text for g in groups} == {"Lives in Oslo (Grünerløkka area)", "Drinks espresso each morning"}


def test_different_names_numbers_versions_and_subjects_are_different_facts(embedder: MiniLMEmbedder) -> None:
    rows = memories("Project Wen22 uses Rust", "Project Chen2 uses Rust", "Uses Python 3.11", "Uses Python 3.12",
                    "Service api-7 listens on port 8081", "Service api-7 listens on port 8082",
                    "Brother Javier lives in Valencia", "Lives in Valencia", "Likes hiking", "Doesn't like hiking",
                    "Has a dog named Juniper", "Has a dog named Pepper", "Lives in a small flat")
    assert plan(embedder, rows) == []


def test_same_time_contradictions_are_left_alone(embedder: MiniLMEmbedder) -> None:
    rows = [Memory(f"m{i}", text, "2026-01-01T00:00:00+00:00", ("alice", None, None), None)
            for i, text in enumerate(("Lives in Oslo", "Lives in Bergen"))]
    assert plan(embedder, rows) == []


def test_partitions_never_mix_scopes_or_projects() -> None:
    rows = [Memory("a", "Lives in Oslo", "1", ("alice", None, None), None),
            Memory("b", "Lives in Oslo", "2", ("alice", "codex", None), None),
            Memory("c", "Uses pnpm", "3", ("alice", None, None), "shop"),
            Memory("d", "Lives in Bergen", "4", ("alice", None, None), None)]
    assert sorted(partitions(rows).values()) == [[0, 3], [1], [2]]


def test_the_same_preference_in_another_context_is_another_fact(embedder: MiniLMEmbedder) -> None:
    rows = memories("Prefers dark mode in the editor at work", "Prefers dark mode in the editor at home")
    assert plan(embedder, rows) == []


@pytest.mark.parametrize("old, new", [
    ("Lives in Austin; relocating to Denver this fall", "Lives in Denver"),  # the plan is stale once done
    ("Dislikes sushi (raw fish)", "Loves sushi"),
    ("Repo uses Jest for tests", "Repo uses Vitest for tests"),
    ("Has three kids", "Has four kids (youngest is a baby)"),
    ("Wants answers in German", "Wants answers in English"),
])
def test_the_newer_value_of_one_property_is_kept(embedder: MiniLMEmbedder, old: str, new: str) -> None:
    groups = plan(embedder, memories(old, new))
    assert [g.survivor.text for g in groups] == [new] and deleted(groups) == {old: SUPERSEDES}
