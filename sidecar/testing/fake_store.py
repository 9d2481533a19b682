"""An in-memory store that implements :class:`sidecar.store.interface.Store`, for op-level tests.

It keeps mem0's result shapes and history events, serialises writes per scope,
tells observers about every write and ranks search hits by shared words (or gives
every hit one fixed score, like a fused hybrid score), so the ops, the hub, the
write gate and the reviewer can be tested in-process without mem0, Chroma or a
model. It is not a stand-in for retrieval quality.

For assertions it exposes ``rows`` (the live memories by id), ``searches`` (the
filters and ``top_k`` of each search) and ``locked_scopes`` (each scope a caller
locked with :meth:`FakeStore.scope_lock`).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sidecar.store.interface import MemoryNotFound, Observer, StoreChange
from sidecar_shared.protocol import SCOPE_KEYS, scope_ids

_WORD = re.compile(r"\w+")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _matches(row: dict[str, Any], filters: dict[str, Any]) -> bool:
    return all(row.get(key) == value for key, value in filters.items())


class FakeStore:
    """Memories in a dict; see the module docstring."""

    def __init__(self, path: Path | None = None, *, score: float | None = None) -> None:
        """``score``: what every search hit scores (None: the share of the query's words it holds)."""
        self.path = path or Path("/nonexistent/fake-store")
        self.last_client_read = 0.0
        self.embedder = None
        self.hybrid = None
        self.rows: dict[str, dict[str, Any]] = {}
        self.searches: list[dict[str, Any]] = []
        self.locked_scopes: list[dict[str, Any]] = []
        self._score = score
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._observers: list[Observer] = []
        self._guard = threading.RLock()
        self._scope_locks: dict[tuple, threading.RLock] = {}

    # -- coordination -----------------------------------------------------------

    def scope_lock(self, scope: dict[str, Any]) -> AbstractContextManager[None]:
        self.locked_scopes.append(dict(scope))
        return self._scope_lock(scope)

    @contextmanager
    def _scope_lock(self, scope: dict[str, Any]) -> Iterator[None]:
        key = tuple(scope.get(k) for k in SCOPE_KEYS)
        with self._guard:
            lock = self._scope_locks.setdefault(key, threading.RLock())
        with lock:
            yield

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def _notify(self, change: StoreChange) -> None:
        for observer in self._observers:
            observer(change)

    def _record(self, memory_id: str, event: str, old: str | None, new: str | None) -> None:
        self._history.setdefault(memory_id, []).append(
            {"id": str(uuid.uuid4()), "memory_id": memory_id, "old_memory": old, "new_memory": new,
             "event": event, "created_at": _now(), "updated_at": None, "is_deleted": int(event == "DELETE")})

    # -- mem0-shaped operations ------------------------------------------------

    def add(self, messages: Any, *, user_id: str | None = None, agent_id: str | None = None,
            run_id: str | None = None, metadata: dict[str, Any] | None = None,
            infer: bool = False) -> dict[str, Any]:
        if infer:
            raise ValueError("the fake store has no LLM: add with infer=False (the write gate infers)")
        scope = scope_ids(user_id, agent_id, run_id)
        if not scope:
            raise ValueError("at least one of user_id, agent_id, run_id is required")
        items = [messages] if isinstance(messages, (str, dict)) else list(messages)
        texts = [i if isinstance(i, str) else i.get("content") for i in items
                 if isinstance(i, str) or i.get("role") != "system"]
        results = []
        with self._scope_lock(scope), self._guard:
            for text in texts:
                if not isinstance(text, str):
                    continue
                duplicate = next((r for r in self.rows.values() if r["memory"] == text and _matches(r, scope)), None)
                if duplicate is not None:
                    results.append({"id": duplicate["id"], "memory": text, "event": "NONE"})
                    continue
                memory_id = str(uuid.uuid4())
                self.rows[memory_id] = {"id": memory_id, "memory": text, **scope, "metadata": dict(metadata or {})
                                         or None, "created_at": _now(), "updated_at": None}
                self._record(memory_id, "ADD", None, text)
                results.append({"id": memory_id, "memory": text, "event": "ADD"})
        for row in results:
            if row["event"] == "ADD":
                self._notify(StoreChange("ADD", row["id"], scope, row["memory"]))
        return {"results": results}

    def search(self, query: str, *, filters: dict[str, Any], top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]:
        self.searches.append({"filters": dict(filters), "top_k": top_k})
        words = set(_WORD.findall(query.lower()))
        scored = []
        with self._guard:
            for row in self.rows.values():
                if not _matches(row, filters):
                    continue
                overlap = words & set(_WORD.findall(row["memory"].lower()))
                score = len(overlap) / (len(words) or 1) if self._score is None else self._score
                if threshold is None or score >= threshold:
                    scored.append({**row, "score": score})
        scored.sort(key=lambda r: (-r["score"], r["created_at"]))
        return {"results": scored[:top_k]}

    def get(self, memory_id: str) -> dict[str, Any] | None:
        with self._guard:
            row = self.rows.get(memory_id)
            return dict(row) if row else None

    def get_all(self, *, filters: dict[str, Any], top_k: int = 100) -> dict[str, Any]:
        with self._guard:
            return {"results": [dict(r) for r in self.rows.values() if _matches(r, filters)][:top_k]}

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        existing = self.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        scope = {k: existing[k] for k in SCOPE_KEYS if existing.get(k)}
        with self._scope_lock(scope), self._guard:
            row = self.rows[memory_id]
            old = row["memory"]
            if text is not None:
                row["memory"] = text
            if metadata is not None:
                row["metadata"] = dict(metadata) or None
            row["updated_at"] = _now()
            self._record(memory_id, "UPDATE", old, row["memory"])
        self._notify(StoreChange("UPDATE", memory_id, scope, row["memory"]))
        return {"message": "Memory updated successfully!"}

    def delete(self, memory_id: str) -> dict[str, Any]:
        existing = self.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        scope = {k: existing[k] for k in SCOPE_KEYS if existing.get(k)}
        with self._scope_lock(scope), self._guard:
            self.rows.pop(memory_id, None)
            self._record(memory_id, "DELETE", existing["memory"], None)
        self._notify(StoreChange("DELETE", memory_id, scope, existing["memory"]))
        return {"message": "Memory deleted successfully!"}

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]:
        scope = scope_ids(user_id, agent_id, run_id)
        if not scope:
            raise ValueError("at least one of user_id, agent_id, run_id is required")
        with self._scope_lock(scope), self._guard:
            doomed = [r for r in self.rows.values() if _matches(r, scope)]
            for row in doomed:
                del self.rows[row["id"]]
                self._record(row["id"], "DELETE", row["memory"], None)
        self._notify(StoreChange("DELETE_ALL", None, scope))
        return {"message": "Memories deleted successfully!"}

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        with self._guard:
            return [dict(entry) for entry in self._history.get(memory_id, [])]

    def ids_with_prefix(self, prefix: str) -> list[str]:
        with self._guard:
            live = [i for i in self.rows if i.startswith(prefix)]
            return live + sorted(i for i in self._history if i.startswith(prefix) and i not in self.rows)

    def count(self) -> int:
        with self._guard:
            return len(self.rows)

    def newest(self, scope: dict[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
        with self._guard:
            rows = [dict(r) for r in self.rows.values() if _matches(r, scope)]
        rows.sort(key=lambda r: r["updated_at"] or r["created_at"], reverse=True)
        return rows[:keep], len(rows)

    def close(self) -> None:
        pass
