"""``restore`` over the in-memory store: what can be undone, and the errors of what cannot."""

from __future__ import annotations

import pytest

from sidecar.ops.restore import RESTORED_FROM, restore
from sidecar.rpc.args import OpError
from sidecar.testing.fake_store import FakeStore
from sidecar_shared.protocol import Code


def added(store: FakeStore, text: str) -> str:
    return store.add(text, user_id="u", infer=False)["results"][0]["id"]


def test_an_update_is_undone_and_the_undo_is_history_too():
    store = FakeStore()
    memory_id = added(store, "I live in Lyon")
    store.update(memory_id, text="I live in Nantes")
    result = restore(store, memory_id, None)
    assert result["undid"] == "UPDATE" and result["replaced"] == "I live in Nantes"
    assert store.get(memory_id)["memory"] == "I live in Lyon"
    assert [h["event"] for h in store.history(memory_id)] == ["ADD", "UPDATE", "UPDATE"]


def test_a_deleted_memory_needs_a_scope_and_comes_back_with_its_old_id_noted():
    store = FakeStore()
    memory_id = added(store, "I play the cello")
    store.delete(memory_id)
    with pytest.raises(OpError) as caught:
        restore(store, memory_id, None)
    assert caught.value.code == Code.MISSING_SCOPE
    result = restore(store, memory_id, {"user_id": "u"})
    assert result["undid"] == "DELETE" and result["event"] == "ADD"
    back = store.get(result["id"])
    assert back["memory"] == "I play the cello" and back["metadata"][RESTORED_FROM] == memory_id


def test_a_memory_never_changed_has_nothing_to_restore():
    store = FakeStore()
    with pytest.raises(OpError) as caught:
        restore(store, added(store, "I like figs"), None)
    assert caught.value.code == Code.BAD_REQUEST and "nothing to restore" in caught.value.message
