"""What the rest of the daemon may use of the memory store: one Protocol, two implementations.

:class:`sidecar.store.memory_store.MemoryStore` is the real one (mem0 over Chroma or
PostgreSQL + pgvector, see :mod:`sidecar.store.backend`; hybrid search on both); :class:`sidecar.testing.fake_store.FakeStore` keeps memories in
a dict for op-level tests. Results have mem0's shapes (``{"results": [...]}``,
rows with ``id``, ``memory``, scope keys, ``metadata``, timestamps).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class MemoryNotFound(LookupError):
    """No memory with that id."""


@dataclass(frozen=True)
class StoreChange:
    """One write that reached the store (observers keep MEMORY.md and indexes in step)."""

    event: str                      # "ADD" | "UPDATE" | "DELETE" | "DELETE_ALL"
    memory_id: str | None
    scope: dict[str, str] = field(default_factory=dict)
    text: str | None = None


Observer = Callable[[StoreChange], None]


class Store(Protocol):
    """The memory store's interface (see the module docstring)."""

    path: Path
    last_client_read: float  # monotonic time of the latest client read; background work yields to it

    def add(self, messages: Any, *, user_id: str | None = None, agent_id: str | None = None,
            run_id: str | None = None, metadata: dict[str, Any] | None = None,
            infer: bool = False) -> dict[str, Any]: ...

    def search(self, query: str, *, filters: dict[str, Any], top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]: ...

    def get(self, memory_id: str) -> dict[str, Any] | None: ...

    def get_all(self, *, filters: dict[str, Any], top_k: int = 100) -> dict[str, Any]: ...

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def delete(self, memory_id: str) -> dict[str, Any]: ...

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]: ...

    def history(self, memory_id: str) -> list[dict[str, Any]]: ...

    def ids_with_prefix(self, prefix: str) -> list[str]: ...

    def count(self) -> int: ...

    def newest(self, scope: dict[str, str], keep: int) -> tuple[list[dict[str, Any]], int]: ...

    def scope_lock(self, scope: dict[str, Any]) -> AbstractContextManager[None]: ...

    def subscribe(self, observer: Observer) -> None: ...

    def close(self) -> None: ...

