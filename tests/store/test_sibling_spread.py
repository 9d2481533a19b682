"""Facts learned from one utterance do not fill a result list by themselves."""

from __future__ import annotations

from pathlib import Path

from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
from sidecar.store.sibling_spread import spread_siblings


def row(memory_id: str, utterance: str | None) -> dict:
    return {"id": memory_id, "metadata": {"utterance": utterance} if utterance else {}}


def test_a_repeated_utterance_goes_below_the_results_that_bring_a_new_one() -> None:
    hits = [("a1", 0.9), ("a2", 0.8), ("b", 0.7), ("v", 0.6), ("c", 0.5)]
    rows = {"a1": row("a1", "A"), "a2": row("a2", "A"), "b": row("b", "B"), "v": row("v", None), "c": row("c", "C")}
    shaped: list[list[str]] = []

    def shape(part):
        shaped.append([memory_id for memory_id, _ in part])
        return [rows[memory_id] for memory_id, _ in part]

    assert [r["id"] for r in spread_siblings(hits, 3, shape)] == ["a1", "b", "v"]
    assert shaped == [["a1", "a2", "b"], ["v", "c"]]  # the extra candidates were read only for the repeat


def test_without_repeats_only_top_k_rows_are_read_and_the_order_stays() -> None:
    hits = [("v1", 0.9), ("v2", 0.8), ("b", 0.7), ("v3", 0.6)]
    rows = {"v1": row("v1", None), "v2": row("v2", None), "b": row("b", "B"), "v3": row("v3", None)}
    shaped: list[int] = []

    def shape(part):
        shaped.append(len(part))
        return [rows[memory_id] for memory_id, _ in part]

    assert [r["id"] for r in spread_siblings(hits, 3, shape)] == ["v1", "v2", "b"]
    assert shaped == [3]


def test_search_spreads_facts_learned_from_one_utterance(isolated_home: Path) -> None:
    store = MemoryStore(load_settings())
    try:
        said = "I'm opening a dance studio downtown, and the dance studio opens in May!"
        for fact in ("Is opening a dance studio downtown", "The dance studio downtown opens in May"):
            store.add(fact, user_id="jon", infer=False, metadata={"utterance": said})
        store.add("Teaches salsa on Fridays", user_id="jon", infer=False)
        everything = store.search("dance studio downtown", filters={"user_id": "jon"}, top_k=3)["results"]
        assert everything[-1]["memory"] in ("Is opening a dance studio downtown",  # moved down, never dropped
                                            "The dance studio downtown opens in May")
        hits = store.search("dance studio downtown", filters={"user_id": "jon"}, top_k=2)["results"]
        assert [hit["memory"] for hit in hits][1] == "Teaches salsa on Fridays"
    finally:
        store.close()
