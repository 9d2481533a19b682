"""The store facade in-process (mem0's own assumptions are pinned in test_mem0_adapter.py)."""

import threading
from pathlib import Path

import pytest

from sidecar.config.settings import load_settings
from sidecar.store.interface import MemoryNotFound


@pytest.fixture(params=["chroma", "pgvector"])
def store(request: pytest.FixtureRequest, isolated_home: Path):
    """The store on each backend: embedded (Chroma + SQLite) and a fresh PostgreSQL database."""
    from sidecar.store.memory_store import MemoryStore

    if request.param == "pgvector":
        from sidecar.testing.daemons import write_config
        from sidecar.testing.pg_server import pgvector_config

        write_config(isolated_home, pgvector_config(request.getfixturevalue("pg_dsn")))
    memory_store = MemoryStore(load_settings())
    yield memory_store
    memory_store.close()


def keyword_hits(store, word: str, scope: dict[str, str]) -> list[str]:
    return [memory_id for memory_id, _ in store.hybrid.keyword.search(word, filters=scope)]


def test_add_and_search_embed_with_our_embedder(store):
    before = store.embedder.calls
    added = store.add("I keep bees in my garden", user_id="alice")["results"][0]
    assert store.embedder.calls > before
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
    assert result[2]["id"] == result[0]["id"]
    assert store.count() == 2


def test_update_and_delete_record_history(store):
    memory_id = store.add("I live in Oslo", user_id="alice")["results"][0]["id"]
    store.update(memory_id, text="I live in Bergen")
    store.delete(memory_id)
    events = [(h["event"], h["old_memory"], h["new_memory"]) for h in store.history(memory_id)]
    assert events == [("ADD", None, "I live in Oslo"), ("UPDATE", "I live in Oslo", "I live in Bergen"),
                      ("DELETE", "I live in Bergen", None)]
    with pytest.raises(MemoryNotFound):
        store.update(memory_id, text="I live in Tromso")
    with pytest.raises(MemoryNotFound):
        store.delete(memory_id)


def test_failed_add_leaves_no_memory_and_no_keyword_row(store):
    if store.backend.name != "chroma":
        pytest.skip("nested metadata is refused by Chroma only; PostgreSQL's JSONB stores it")
    store.add("I drink oat milk", user_id="alice")
    with pytest.raises(ValueError):
        store.add([{"role": "user", "content": "I like chess"}], user_id="alice", metadata={"nested": {"a": 1}})
    assert store.count() == store.hybrid.keyword.count() == 1
    assert store.add("I like chess", user_id="alice")["results"][0]["event"] == "ADD"


def test_newest_from_the_index_matches_a_full_scan(store):
    for n in range(12):
        store.add(f"I own plant number {n}", user_id="alice")
    store.add("Bob keeps a cactus", user_id="bob")
    memory_id = store.get_all(filters={"user_id": "alice"}, top_k=100)["results"][0]["id"]
    store.update(memory_id, text="I own a repotted plant")
    records, total = store.newest({"user_id": "alice"}, 5)
    hybrid, store.hybrid = store.hybrid, None  # without the index, newest scans the store
    try:
        scanned, scanned_total = store.newest({"user_id": "alice"}, 5)
    finally:
        store.hybrid = hybrid
    assert total == scanned_total == 12
    assert records[0]["memory"] == "I own a repotted plant"
    assert {r["id"] for r in records} == {r["id"] for r in scanned}
    assert all(r["user_id"] == "alice" for r in records)


def test_scan_pages_raw_rows(store):
    for n in range(3):
        store.add(f"fact {n}", user_id="alice")
    store.add("fact b", user_id="bob")
    page = store.scan(where={"user_id": "alice"}, limit=2)
    assert len(page["ids"]) == 2 and [m["user_id"] for m in page["metadatas"]] == ["alice", "alice"]
    assert store.scan(offset=2, limit=None, include=()) .keys() == {"ids"}
    assert len(store.scan(offset=2, limit=None, include=())["ids"]) == 2


def test_concurrent_updates_of_one_memory_leave_chroma_and_keywords_agreeing(store):
    """Rounds of simultaneous updates of one memory: after each, both indexes hold the same text."""
    alice = {"user_id": "alice"}
    memory_id = store.add("I live in Oslo", **alice)["results"][0]["id"]
    cities = ["Bergen", "Tromso", "Narvik", "Alta"]
    disagreements: list[str] = []

    def compare() -> None:
        text = store.get(memory_id)["memory"]
        if any((memory_id in keyword_hits(store, city, alice)) != (city in text) for city in ["Oslo", *cities]):
            disagreements.append(text)

    start, end = threading.Barrier(len(cities)), threading.Barrier(len(cities), action=compare)
    failures: list[BaseException] = []

    def move(city: str) -> None:
        try:
            for n in range(16):
                start.wait()
                store.update(memory_id, text=f"I live in {city} since year {n}")
                end.wait()
        except BaseException as exc:  # surfaced below; release the other threads
            failures.append(exc)
            start.abort()
            end.abort()

    threads = [threading.Thread(target=move, args=(city,)) for city in cities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and disagreements == []


def test_concurrent_update_and_delete_leave_no_keyword_row(store):
    alice = {"user_id": "alice"}
    memory_id = store.add("I live in Oslo", **alice)["results"][0]["id"]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def update() -> None:
        start.wait()
        for _ in range(5):
            try:
                store.update(memory_id, text="I live in Bergen")
                outcomes.append("updated")
            except MemoryNotFound:
                outcomes.append("gone")

    def delete() -> None:
        start.wait()
        store.delete(memory_id)

    threads = [threading.Thread(target=update), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 5
    assert store.get(memory_id) is None and store.count() == 0
    assert keyword_hits(store, "Bergen", alice) == keyword_hits(store, "Oslo", alice) == []
    assert store.hybrid.keyword.count() == 0


def test_write_work_pauses_at_the_stores_checkpoint_while_a_read_is_in_flight(store):
    from sidecar.rpc.priority import ReadsFirst
    from sidecar.testing.waiting import ready_limit, wait_until

    reads = ReadsFirst(max_pause_s=ready_limit())
    store.embedder.set_checkpoint(reads.checkpoint)  # what the composition root does in the daemon
    reads.read_queued()
    passed = threading.Event()
    writer = threading.Thread(target=lambda: (store.pause(), passed.set()), daemon=True)
    writer.start()
    wait_until(lambda: reads.pauses == 1, what="the write to pause at the store's checkpoint")
    assert not passed.is_set()
    reads.read_done()
    assert passed.wait(ready_limit()), "the write did not resume once the read was answered"
    writer.join(ready_limit())
