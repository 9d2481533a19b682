"""Memory ids as users type them: full ids, unique 6+ character prefixes, ambiguity, deleted memories."""

from __future__ import annotations

import pytest

from sidecar.ops.memory_ids import resolve
from sidecar.rpc.args import OpError
from sidecar_shared.protocol import Code


class IdStore:
    """Just what :func:`resolve` reads: ``get`` and ``ids_with_prefix`` over fixed live and deleted ids."""

    def __init__(self, live: list[str], deleted: list[str] = ()) -> None:
        self.live, self.deleted = live, list(deleted)

    def get(self, memory_id: str) -> dict | None:
        return {"id": memory_id} if memory_id in self.live else None

    def ids_with_prefix(self, prefix: str) -> list[str]:
        return [i for i in self.live + self.deleted if i.startswith(prefix)]


STORE = IdStore(["abcdef01-aaaa", "abcdef02-bbbb", "123456aa-cccc"], deleted=["999999aa-dddd"])


def test_a_unique_prefix_or_the_full_id_names_the_memory():
    assert resolve(STORE, "123456") == "123456aa-cccc"
    assert resolve(STORE, "abcdef01") == "abcdef01-aaaa"
    assert resolve(STORE, "abcdef02-bbbb") == "abcdef02-bbbb"


def test_an_ambiguous_prefix_names_the_candidates():
    with pytest.raises(OpError) as caught:
        resolve(STORE, "abcdef")
    assert caught.value.code == Code.BAD_REQUEST and "ambiguous" in caught.value.message
    assert "abcdef01" in caught.value.message and "abcdef02" in caught.value.message


@pytest.mark.parametrize("given", ["12345", "0badc0de", "999999"])
def test_short_unknown_or_deleted_ids_are_not_found(given):
    with pytest.raises(OpError) as caught:
        resolve(STORE, given)
    assert caught.value.code == Code.NOT_FOUND


def test_history_and_restore_also_reach_deleted_memories():
    assert resolve(STORE, "999999", deleted=True) == "999999aa-dddd"
