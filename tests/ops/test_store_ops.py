"""The mem0-shaped ops over the real op table and worker entry point, on the in-memory fake store."""

from __future__ import annotations

from typing import Any

import pytest

from sidecar.ops.store_ops import register_store_ops
from sidecar.rpc.dispatch import OpTable
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.op_calls import call
from sidecar_shared import protocol


class RecordingGate:
    """A write gate that stores each message verbatim and tags history: enough to see the routing."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.learned: list[Any] = []

    def learn_messages(self, messages, *, scope, metadata):
        self.learned.append(messages)
        return {**self.store.add(messages, metadata=metadata, **scope), "verdicts": [{"memorize": True}]}

    def enrich_history(self, memory_id, entries):
        return [{**entry, "provenance": {"source": "test"}} for entry in entries]


def test_add_search_get_update_delete_round_trip(table: OpTable, store: FakeStore) -> None:
    added = call(table, "add", messages="I prefer tea over coffee", user_id="alice")
    memory_id = added["result"]["results"][0]["id"]
    hits = call(table, "search", query="tea or coffee?", filters={"user_id": "alice"})["result"]["results"]
    assert [h["id"] for h in hits] == [memory_id]
    assert call(table, "search", query="tea", filters={"user_id": "bob"})["result"]["results"] == []

    assert call(table, "update", memory_id=memory_id, text="I prefer green tea")["ok"]
    assert call(table, "get", memory_id=memory_id)["result"]["memory"] == "I prefer green tea"
    assert [e["event"] for e in call(table, "history", memory_id=memory_id)["result"]] == ["ADD", "UPDATE"]
    assert call(table, "delete", memory_id=memory_id)["ok"]
    assert call(table, "get", memory_id=memory_id)["result"] is None
    assert call(table, "status")["result"] == {"memories": 0}


@pytest.mark.parametrize("op, args, code", [
    ("add", {"messages": "x"}, protocol.Code.MISSING_SCOPE),
    ("add", {"messages": 42, "user_id": "a"}, protocol.Code.BAD_REQUEST),
    ("search", {"query": "x", "filters": {}}, protocol.Code.MISSING_SCOPE),
    ("search", {"query": "x", "filters": {"user_id": "a"}, "top_k": 0}, protocol.Code.BAD_REQUEST),
    ("update", {"memory_id": "nope"}, protocol.Code.BAD_REQUEST),
    ("update", {"memory_id": "nope", "text": "y"}, protocol.Code.NOT_FOUND),
    ("delete", {"memory_id": "nope"}, protocol.Code.NOT_FOUND),
    ("get", {"memory_id": ["a"]}, protocol.Code.BAD_REQUEST),
    ("add", {"messages": "x", "user_id": "a", "infer": True}, protocol.Code.UNAVAILABLE),
])
def test_bad_requests_get_a_stable_code(table: OpTable, op: str, args: dict, code: str) -> None:
    reply = call(table, op, **args)
    assert not reply["ok"] and reply["error"]["code"] == code, reply


def test_infer_goes_through_the_gate_and_history_carries_provenance(store: FakeStore) -> None:
    gate = RecordingGate(store)
    table = OpTable()  # only the store ops: the gate stands in for the learn service they use
    register_store_ops(table, store, gate)  # type: ignore[arg-type]
    verbatim = call(table, "add", messages="I live in Oslo", user_id="alice")["result"]
    assert "verdicts" not in verbatim and gate.learned == []
    learned = call(table, "add", messages="I live in Bergen", user_id="alice", infer=True)["result"]
    assert learned["verdicts"] == [{"memorize": True}] and gate.learned == ["I live in Bergen"]
    history = call(table, "history", memory_id=learned["results"][0]["id"])["result"]
    assert history[0]["provenance"] == {"source": "test"}


def test_every_op_is_registered_once() -> None:
    table = OpTable()
    table.register("add", lambda args: None, write=True)
    with pytest.raises(ValueError, match="registered twice"):
        table.register("add", lambda args: None, write=True)
