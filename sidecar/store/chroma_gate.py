"""Chroma's collection behind a checkpoint: write work waits there while reads are in progress.

Chroma's Rust bindings keep the GIL for a whole call: an ``add`` or ``update`` holds it
for 15-35 ms on a small shared machine (its log, its segments, the commit), and a
query for a few. While one runs, no other thread of the daemon runs Python: a search
that arrives during another user's burst of writes waits for the write in hand, and
before this gate it also lost the GIL to each next write of the burst at every point
where it let go of it (its query embedding, its keyword query). py-spy on a burst
found ~90% of a search's wall time inside Chroma's ``query``, most of it waiting.

So every call a thread makes into the collection first passes the daemon's write
checkpoint (:class:`sidecar.rpc.priority.ReadsFirst`): a thread doing write work
waits there (bounded) while reads are in progress and starts its next Chroma call
once they are answered; a thread running a read passes at once. The write itself is
unchanged: it runs in full, committed before it is acknowledged, only later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The collection methods that enter Chroma's Rust code (each holds the GIL while it runs).
GATED = frozenset({"add", "update", "upsert", "delete", "query", "get", "count", "peek"})


class GatedCollection:
    """``collection`` with :data:`GATED` methods calling ``checkpoint()`` first; everything else passes through."""

    def __init__(self, collection: Any, checkpoint: Callable[[], object]) -> None:
        self._collection = collection
        self._checkpoint = checkpoint
        self.calls = 0  # gated calls, for tests and figures

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in GATED or not callable(attribute):
            return attribute

        def gated(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self._checkpoint()
            return attribute(*args, **kwargs)

        return gated

