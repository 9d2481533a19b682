"""One PostgreSQL advisory lock per scope, so daemons on one database never interleave a scope's writes.

Taken around what :meth:`MemoryStore.scope_lock` guards (an add, a delete, the write
gate's reconcile-and-apply), after the daemon's own in-process lock. The lock is
session-level on a pooled connection held for the duration; a thread that already
holds a scope (the in-process lock is re-entrant) does not take it again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def lock_key(scope_key: tuple) -> int:
    """A signed 64-bit advisory key for a (user, agent, run) tuple (stable across processes)."""
    digest = hashlib.blake2b(repr(scope_key).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryScopeLocks:
    """``hold(scope_key)``: the database-wide lock of one scope, re-entrant per thread."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._held = threading.local()

    @contextmanager
    def hold(self, scope_key: tuple) -> Iterator[None]:
        depth: dict[tuple, int] = self._held.__dict__.setdefault("depth", {})
        if depth.get(scope_key):
            depth[scope_key] += 1
            try:
                yield
            finally:
                depth[scope_key] -= 1
            return
        key = lock_key(scope_key)
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            conn.commit()
            depth[scope_key] = 1
            try:
                yield
            finally:
                depth.pop(scope_key, None)
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                    conn.commit()
                except Exception:  # the connection died: the server released the lock with the session
                    pass
