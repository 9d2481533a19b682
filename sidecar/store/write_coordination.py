"""How writes to the memory store coordinate: one writer per scope, the reads-first checkpoint, observers.

Mixed into :class:`~sidecar.store.memory_store.MemoryStore`, which supplies ``_locks``
(:class:`~sidecar.keyed_locks.KeyedLocks`), ``backend``, ``embedder``, ``_observers`` and ``get``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sidecar.keyed_locks import KeyedLocks
from sidecar.store.interface import MemoryNotFound, Observer, StoreChange
from sidecar.store.unavailable import unavailable_as_error
from sidecar_shared.protocol import SCOPE_KEYS

log = logging.getLogger("sidecar.store")


class WriteCoordination:
    """Scope locks, the write checkpoint and the observers of :class:`~sidecar.store.memory_store.MemoryStore`."""

    _locks: KeyedLocks
    _observers: list[Observer]
    backend: Any
    embedder: Any
    get: Callable[[str], dict[str, Any] | None]

    @contextmanager
    def scope_lock(self, scope: dict[str, Any]) -> Iterator[None]:
        """Serialise writes to one (user_id, agent_id, run_id) scope."""
        key = tuple(scope.get(k) for k in SCOPE_KEYS)
        with self._locks.hold(key), unavailable_as_error(self.backend), self.backend.scope_lock(key):
            yield

    @contextmanager
    def _existing_locked(self, memory_id: str) -> Iterator[dict[str, Any]]:
        """Hold the scope lock of an existing memory; yields the memory as read under that lock.

        A memory's scope never changes (mem0 ignores scope ids in update metadata),
        so the scope read before locking is the one to lock.
        """
        existing = self.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        with self.scope_lock(scope_of(existing)):
            current = self.get(memory_id)
            if current is None:  # deleted while we waited for the lock
                raise MemoryNotFound(f"no memory with id {memory_id}")
            yield current

    def pause(self) -> None:
        """Write work's checkpoint between its steps: wait while reads are in flight (bounded).

        It is the daemon's reads-first checkpoint (:mod:`sidecar.rpc.priority`), which the
        composition root hands to the embedder; a thread running a read, or a store whose
        embedder is not in-process, passes at once.
        """
        pause = getattr(self.embedder, "pause", None)
        if pause is not None:
            pause()

    def subscribe(self, observer: Observer) -> None:
        """Call ``observer`` after every write (never inside a scope lock)."""
        self._observers.append(observer)

    def _notify(self, change: StoreChange) -> None:
        for observer in self._observers:
            try:
                observer(change)
            except Exception:  # an observer must never undo or fail a write
                log.exception("store observer failed on %s %s", change.event, change.memory_id)


def scope_of(memory: dict[str, Any]) -> dict[str, str]:
    """The scope ids a memory row carries (only the set ones)."""
    return {k: memory[k] for k in SCOPE_KEYS if memory.get(k)}
