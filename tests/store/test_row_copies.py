"""The row copies answer a search's row reads only with what the store holds now."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sidecar.config.settings import load_settings
from sidecar.store.chroma_rows import StoredRow
from sidecar.store.memory_store import MemoryStore
from sidecar.store.row_copies import FILE_NAME, RowCopies, WatchedCollection, named_ids, payload_text


class Store:
    """A row reader over a dict of payloads that counts what it was asked for."""

    def __init__(self, payloads: dict[str, dict[str, Any]]) -> None:
        self.payloads = payloads
        self.asked: list[str] = []
        self.during_read: Any = None

    def read(self, ids: Sequence[str]) -> list[StoredRow]:
        self.asked.extend(ids)
        rows = [StoredRow(i, dict(self.payloads[i])) for i in ids if i in self.payloads]
        if self.during_read is not None:
            self.during_read()
        return rows

    def all(self) -> list[StoredRow]:
        return [StoredRow(i, dict(p)) for i, p in self.payloads.items()]


def synced(copies: RowCopies, store: Store) -> None:
    for _ in copies.synced(store.all()):
        pass


def test_until_compared_with_the_store_every_row_is_read_from_it(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)

    assert [r.payload for r in copies.rows_through(["a", "a"], store.read)] == [{"data": "tea"}] * 2
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "tea"}
    assert store.asked == ["a", "a"]  # asked once per call, each id once; nothing kept while untrusted
    assert copies.payloads(["a"]) == {}
    assert copies.status() == {"state": "untrusted", "hits": 0, "misses": 2}


def test_after_the_start_comparison_rows_come_from_the_copy(tmp_path: Path):
    store = Store({"a": {"data": "tea", "n": 1, "tags": ["x"]}, "b": {"data": "oslo", "ok": True}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)

    rows = copies.rows_through(["b", "gone", "a"], store.read)

    assert copies.trusted
    assert [(r.id, dict(r.payload)) for r in rows] == [("b", {"data": "oslo", "ok": True}),
                                                      ("a", {"data": "tea", "n": 1, "tags": ["x"]})]
    assert store.asked == ["gone"]
    assert copies.status() == {"state": "on", "hits": 2, "misses": 1}


def test_the_start_comparison_rewrites_changed_rows_and_drops_rows_the_store_lost(tmp_path: Path):
    path = tmp_path / FILE_NAME
    first = RowCopies(path)
    synced(first, Store({"a": {"data": "old"}, "b": {"data": "deleted since"}}))
    first.close()
    store = Store({"a": {"data": "new"}, "c": {"data": "added while the copy was not looking"}})

    copies = RowCopies(path)
    synced(copies, store)

    assert copies.payloads(["a", "b", "c"]) == {"a": {"data": "new"}, "c": {"data": "added while the copy was not looking"}}
    count = sqlite3.connect(path).execute("SELECT count(*) FROM row_copies").fetchone()[0]
    assert count == 2


def test_a_forgotten_row_is_read_from_the_store_and_copied_again(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)

    store.payloads["a"] = {"data": "coffee"}
    copies.forget(["a"])

    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}
    assert store.asked == ["a"]


def test_a_row_read_while_a_write_lands_is_not_copied(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)
    copies.forget(["a"])

    def write() -> None:  # the read has the old payload in hand when the write changes the row
        store.payloads["a"] = {"data": "coffee"}
        copies.forget(["a"])

    store.during_read = write
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "tea"}
    store.during_read = None

    assert copies.payloads(["a"]) == {}
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}


def test_a_write_during_the_start_comparison_leaves_the_copy_untrusted(tmp_path: Path):
    store = Store({"a": {"data": "tea"}, "b": {"data": "oslo"}})
    copies = RowCopies(tmp_path / FILE_NAME)

    for row in copies.synced(store.all()):
        if row.id == "a":
            copies.forget(["b"])

    assert not copies.trusted
    assert copies.payloads(["a"]) == {}


def test_forgetting_everything_empties_the_copy(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)

    copies.forget(None)

    assert copies.payloads(["a"]) == {}


def test_a_damaged_file_is_set_aside_and_a_new_one_used(tmp_path: Path):
    path = tmp_path / FILE_NAME
    path.write_bytes(b"this is not a database" * 200)

    copies = RowCopies(path)
    synced(copies, Store({"a": {"data": "tea"}}))

    assert copies.payloads(["a"]) == {"a": {"data": "tea"}}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f"{FILE_NAME}.corrupt-")]


class Collection:
    def __init__(self, copies: RowCopies) -> None:
        self.copies = copies
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def add(self, ids: list[str], **kwargs: Any) -> None:
        self.seen.append(("add", self.copies.payloads(ids)))

    def update(self, ids: list[str], **kwargs: Any) -> None:
        self.seen.append(("update", self.copies.payloads(ids)))

    def delete(self, ids: Any = None, where: Any = None) -> None:
        self.seen.append(("delete", self.copies.payloads(["a", "b"])))

    def get(self, ids: list[str], **kwargs: Any) -> str:
        return "read"


def test_each_write_into_the_collection_forgets_the_rows_it_names_before_it_runs(tmp_path: Path):
    store = Store({"a": {"data": "tea"}, "b": {"data": "oslo"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    collection = Collection(copies)
    watched = WatchedCollection(collection, copies)

    synced(copies, store)
    watched.update(ids=["a"], metadatas=[{"data": "coffee"}])
    synced(copies, store)
    watched.delete(ids="b")
    synced(copies, store)
    watched.delete(where={"user_id": "alice"})

    assert collection.seen == [("update", {}), ("delete", {"a": {"data": "tea"}}), ("delete", {})]
    assert watched.get(["a"]) == "read"
    assert copies.payloads(["a", "b"]) == {}  # and after each call too


def test_the_ids_a_write_names():
    assert named_ids((["a", "b"],), {}) == ["a", "b"]
    assert named_ids((), {"ids": "a"}) == ["a"]
    assert named_ids((), {"where": {"user_id": "x"}}) is None


def test_a_payload_is_stored_as_the_same_text_whatever_its_key_order():
    assert payload_text({"b": 1, "a": "é"}) == payload_text({"a": "é", "b": 1}) == '{"a":"é","b":1}'


def test_search_reads_the_store_s_current_rows_through_updates_deletes_and_restarts(isolated_home: Path):
    store = MemoryStore(load_settings())
    try:
        kept = store.add("I keep bees in my garden", user_id="alice", metadata={"source": "chat"})["results"][0]
        other = store.add("My sister lives in Oslo", user_id="alice")["results"][0]
        assert store.copies is not None and store.copies.trusted

        first = store.search("bees in the garden", filters={"user_id": "alice"})["results"]
        store.update(kept["id"], text="I keep bees and hens in my garden", metadata={"source": "edited"})
        second = store.search("bees in the garden", filters={"user_id": "alice"})["results"]
        store.delete(other["id"])
        third = store.search("where does my sister live", filters={"user_id": "alice"})["results"]
        searched = store.search_status()
    finally:
        store.close()

    assert first[0]["memory"] == "I keep bees in my garden" and first[0]["metadata"] == {"source": "chat"}
    assert second[0]["memory"] == "I keep bees and hens in my garden"
    assert second[0]["metadata"] == {"source": "edited"}
    assert other["id"] not in {hit["id"] for hit in third}
    assert searched["hybrid"] and searched["dense_queries"]["whole_store"] == 3  # alice holds the whole store
    assert searched["row_copies"]["state"] == "on" and searched["row_copies"]["hits"] >= 2

    path = load_settings().store_dir / FILE_NAME
    with sqlite3.connect(path) as db:  # a copy the store never had, and one that differs from it
        db.execute("UPDATE row_copies SET payload = ? WHERE memory_id = ?",
                   (payload_text({"data": "wasps", "user_id": "alice"}), kept["id"]))
        db.execute("INSERT INTO row_copies VALUES ('stray', ?)", (payload_text({"data": "bees"}),))

    reopened = MemoryStore(load_settings())
    try:
        again = reopened.search("bees in the garden", filters={"user_id": "alice"})["results"]
        assert reopened.copies is not None and reopened.copies.trusted
        assert reopened.copies.payloads(["stray"]) == {}
    finally:
        reopened.close()
    assert again[0]["id"] == kept["id"] and again[0]["memory"] == "I keep bees and hens in my garden"


def test_a_row_read_while_the_collection_writes_it_is_not_left_in_the_copy(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)

    class Writing:
        def update(self, ids: list[str], **kwargs: Any) -> None:
            copies.rows_through(ids, store.read)  # another thread's search, before the write commits
            store.payloads["a"] = {"data": "coffee"}

    WatchedCollection(Writing(), copies).update(ids=["a"])

    assert copies.payloads(["a"]) == {}
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}


def test_a_file_that_fails_stops_the_copies_without_failing_reads_or_writes(tmp_path: Path):
    store = Store({"a": {"data": "tea"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)
    copies._db.execute("DROP TABLE row_copies")  # what a full disk or an I/O error looks like to a statement

    copies.forget(["a"])  # a write of the store goes on
    store.payloads["a"] = {"data": "coffee"}

    assert copies.broken and not copies.trusted
    assert copies.status()["state"] == "off"
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "coffee"}
    assert store.asked == ["a", "a"]


def test_a_payload_json_cannot_hold_is_read_from_the_store(tmp_path: Path):
    store = Store({"a": {"data": "tea", "odd": {1, 2}}, "b": {"data": "oslo"}})
    copies = RowCopies(tmp_path / FILE_NAME)
    synced(copies, store)

    assert copies.trusted
    assert copies.payloads(["a", "b"]) == {"b": {"data": "oslo"}}
    assert copies.rows_through(["a"], store.read)[0].payload["odd"] == {1, 2}


def test_a_file_that_cannot_be_made_leaves_the_copies_off(tmp_path: Path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    store = Store({"a": {"data": "tea"}})

    copies = RowCopies(blocked / FILE_NAME)
    synced(copies, store)

    assert copies.broken and not copies.trusted
    assert copies.status()["state"] == "off"
    assert copies.rows_through(["a"], store.read)[0].payload == {"data": "tea"}
    copies.forget(["a"])
    copies.close()
