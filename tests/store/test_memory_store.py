"""The store facade in-process, and the route that plugs our embedder into mem0 (pinned here)."""

from pathlib import Path

import numpy as np
import pytest

from sidecar.config.settings import load_settings


@pytest.fixture
def store(isolated_home: Path):
    from sidecar.store.memory_store import MemoryStore

    memory_store = MemoryStore(load_settings())
    yield memory_store
    memory_store.close()


def test_mem0_embeds_through_our_embedder(store):
    """If a mem0 upgrade stops embedding through Memory.embedding_model, this fails loudly."""
    before = store.embedder.calls
    added = store.add("I keep bees in my garden", user_id="alice")["results"][0]
    assert store.embedder.calls > before
    stored = store._memory.vector_store.collection.get(ids=[added["id"]], include=["embeddings"])
    ours = store.embedder.embed(["I keep bees in my garden"])[0]
    assert np.allclose(np.asarray(stored["embeddings"][0]), ours, atol=1e-5)
    before = store.embedder.calls
    hits = store.search("beekeeping hobby", filters={"user_id": "alice"})["results"]
    assert store.embedder.calls > before and hits[0]["id"] == added["id"]


def test_identical_add_in_one_scope_is_stored_once(store):
    first = store.add("I drink oat milk", user_id="alice")["results"][0]
    again = store.add("I drink oat milk", user_id="alice")["results"][0]
    other_user = store.add("I drink oat milk", user_id="bob")["results"][0]
    assert again == {"id": first["id"], "memory": "I drink oat milk", "event": "NONE"}
    assert other_user["event"] == "ADD" and other_user["id"] != first["id"]
    assert len(store.get_all(filters={"user_id": "alice"})["results"]) == 1


def test_batch_add_skips_duplicates_inside_the_batch(store):
    result = store.add([{"role": "user", "content": "I like chess"}, {"role": "user", "content": "I like chess"},
                        {"role": "assistant", "content": "Noted."}], user_id="alice")["results"]
    assert [r["event"] for r in result] == ["ADD", "ADD", "NONE"]
    assert store.count() == 2


def test_update_and_delete_record_history(store):
    memory_id = store.add("I live in Oslo", user_id="alice")["results"][0]["id"]
    store.update(memory_id, text="I live in Bergen")
    store.delete(memory_id)
    events = [(h["event"], h["old_memory"], h["new_memory"]) for h in store.history(memory_id)]
    assert events == [("ADD", None, "I live in Oslo"), ("UPDATE", "I live in Oslo", "I live in Bergen"),
                      ("DELETE", "I live in Bergen", None)]


def test_newest_from_the_index_matches_a_full_scan(store):
    from sidecar.store.scan import newest_by_scan

    for n in range(12):
        store.add(f"I own plant number {n}", user_id="alice")
    store.add("Bob keeps a cactus", user_id="bob")
    memory_id = store.get_all(filters={"user_id": "alice"}, top_k=100)["results"][0]["id"]
    store.update(memory_id, text="I own a repotted plant")
    records, total = store.newest({"user_id": "alice"}, 5)
    scanned, scanned_total = newest_by_scan(store, {"user_id": "alice"}, 5)
    assert total == scanned_total == 12
    assert records[0]["memory"] == "I own a repotted plant"
    assert {r["id"] for r in records} == {r["id"] for r in scanned}
    assert all(r["user_id"] == "alice" for r in records)
