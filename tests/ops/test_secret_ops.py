"""Explicit writes refuse secrets with ``secret_detected`` (the kind named, never the value), store nothing."""

from __future__ import annotations

from typing import Any

from sidecar.rpc.dispatch import OpTable
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.op_calls import call
from sidecar_shared import protocol

CARD = "4539 1488 0343 6467"  # Luhn-valid, invented


def refused(reply: dict[str, Any], kind: str) -> str:
    assert not reply["ok"] and reply["error"]["code"] == protocol.Code.SECRET_DETECTED, reply
    message = reply["error"]["message"]
    assert kind in message and CARD not in message and "4821" not in message
    return message


def test_add_refuses_a_secret_in_the_text_the_messages_or_the_metadata(table: OpTable, store: FakeStore) -> None:
    refused(call(table, "add", messages=f"my card is {CARD}", user_id="u"), "card-number")
    refused(call(table, "add", messages=[{"role": "user", "content": "I like tea"},
                                         {"role": "user", "content": "my PIN is 4821"}], user_id="u"), "pin")
    message = refused(call(table, "add", messages="I like tea", metadata={"note": "PIN 4821"}, user_id="u"), "pin")
    assert "metadata.note" in message
    assert store.count() == 0
    ok = call(table, "add", messages="lives at 12 Baker Street; the app runs on port 5001", user_id="u")
    assert ok["ok"] and store.count() == 1


def test_update_refuses_and_keeps_the_old_text(table: OpTable, store: FakeStore) -> None:
    memory_id = call(table, "add", messages="I like tea", user_id="u")["result"]["results"][0]["id"]
    refused(call(table, "update", memory_id=memory_id, text=f"pay with {CARD}"), "card-number")
    refused(call(table, "update", memory_id=memory_id, metadata={"pin": "PIN 4821"}), "pin")
    assert store.get(memory_id)["memory"] == "I like tea"


def test_import_refuses_each_record_with_a_secret_and_takes_the_rest(table: OpTable, store: FakeStore) -> None:
    reply = call(table, "import", records=[{"memory": "I like tea", "user_id": "u"},
                                           {"memory": f"card {CARD}", "user_id": "u"},
                                           {"memory": "I like coffee", "user_id": "u", "metadata": {"x": "PIN 4821"}}])
    result = reply["result"]
    assert result["added"] == 1 and [e["index"] for e in result["errors"]] == [1, 2]
    assert {e["code"] for e in result["errors"]} == {protocol.Code.SECRET_DETECTED}
    assert all(CARD not in e["message"] and "4821" not in e["message"] for e in result["errors"])
