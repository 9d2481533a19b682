"""One re-entrant lock per key, made on demand: the worker pool's per-op keys, the store's
scope locks and the scanner's per-file locks all use it."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any


class KeyedLocks:
    """One re-entrant lock per key, created on demand and dropped when nobody holds or waits on it.

    Re-entrant so a caller holding a scope (the write gate deciding and applying)
    may call store methods that take the same scope again.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list[Any]] = {}  # key -> [lock, users]

    @contextmanager
    def hold(self, key: Hashable | None) -> Iterator[None]:
        if key is None:
            yield
            return
        with self._guard:
            entry = self._locks.setdefault(key, [threading.RLock(), 0])
            entry[1] += 1
        entry[0].acquire()
        try:
            yield
        finally:
            entry[0].release()
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]
