"""In-memory stand-ins for the review tests: a store over a dict, a scripted judge and reconciler."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sidecar.learn.judge.verdict import Verdict
from sidecar.learn.reconcile.decision import Decision
from sidecar.store.interface import MemoryNotFound

REASONS = {"factuality": "f", "stability": "s", "reuse": "r"}


class DictStore:
    """The slice of MemoryStore the pipeline and the reviewer use."""

    embedder = None
    last_client_read = 0.0

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.locked: list[dict[str, Any]] = []

    @contextmanager
    def scope_lock(self, scope: dict[str, Any]) -> Iterator[None]:
        self.locked.append(dict(scope))
        yield

    def add(self, text: str, *, metadata: dict[str, Any], infer: bool, **scope: str) -> dict[str, Any]:
        for row in self.rows.values():
            if row["memory"] == text and all(row.get(k) == v for k, v in scope.items()):
                return {"results": [{"id": row["id"], "memory": text, "event": "NONE"}]}
        memory_id = str(uuid.uuid4())
        self.rows[memory_id] = {"id": memory_id, "memory": text, "metadata": dict(metadata), **scope}
        return {"results": [{"id": memory_id, "memory": text, "event": "ADD"}]}

    def search(self, query: str, *, filters: dict[str, Any], top_k: int) -> dict[str, Any]:
        hits = [dict(r, score=0.9) for r in self.rows.values() if all(r.get(k) == v for k, v in filters.items())]
        return {"results": hits[:top_k]}

    def get(self, memory_id: str) -> dict[str, Any] | None:
        return self.rows.get(memory_id)

    def update(self, memory_id: str, text: str) -> dict[str, Any]:
        if memory_id not in self.rows:
            raise MemoryNotFound(memory_id)
        self.rows[memory_id]["memory"] = text
        return {}

    def delete(self, memory_id: str) -> dict[str, Any]:
        if memory_id not in self.rows:
            raise MemoryNotFound(memory_id)
        del self.rows[memory_id]
        return {}


class EchoJudge:
    """Every utterance is one preference: the text itself."""

    name = "echo"

    def __init__(self) -> None:
        self.calls = 0

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        self.calls += 1
        return Verdict(True, "preference", (text,), REASONS, 0.9, "echo")


class KeywordReconciler:
    """'no longer' deletes the first neighbour, 'now' updates it, anything else is added."""

    def decide(self, fact: str, neighbours, *, utterance: str = "") -> Decision:
        if neighbours and "no longer" in fact:
            return Decision("DELETE", fact, neighbours[0].id, None, "contradicts")
        if neighbours and " now " in f" {fact} ":
            return Decision("UPDATE", fact, neighbours[0].id, fact, "newer")
        return Decision("ADD", fact, None, fact, "new")
