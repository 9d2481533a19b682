"""Running ops in-process as a worker runs them: the real op table over a store, replies unpacked.

For op-level tests over :class:`sidecar.testing.fake_store.FakeStore` (or a real store):
no socket, no daemon, but the same handlers, argument checks and error codes.
"""

from __future__ import annotations

from typing import Any

from sidecar.ops.registry import build_op_table
from sidecar.rpc.dispatch import OpTable
from sidecar.rpc.execute import execute
from sidecar.store.interface import Store
from sidecar_shared import protocol


def store_op_table(store: Store, default_user: str = "default") -> OpTable:
    """The op table over ``store`` alone: no learning, no context hub; ``status`` counts the memories."""
    return build_op_table(store=store, learn=None, context=None, status=lambda: {"memories": store.count()},
                          default_user=default_user)


def call(table: OpTable, op: str, **args: Any) -> dict[str, Any]:
    """One request as a worker runs it: the packed reply, unpacked (``ok``, ``result`` or ``error``)."""
    operation = table.get(op)
    assert operation is not None, f"no op {op}"
    frame, _ = execute(operation, "req-1", args)
    return protocol.unpack(frame)
