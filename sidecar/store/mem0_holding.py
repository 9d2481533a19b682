"""mem0's vector store and history seen through a hold: inside a batch, their writes are kept, not applied.

Part of the mem0 adapter (:mod:`sidecar.store.mem0_adapter`): ``add_batch`` opens a
batch on the calling thread, lets mem0 write (``vector_store.insert``,
``db.add_history`` / ``batch_add_history``), and then applies what was held in one
vector insert and one history transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sidecar.store.fact_vectors import FactVectors


@dataclass
class HeldWrites:
    """What mem0 wrote during one batch, not yet applied."""

    vectors: list[Any] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


class Batches(threading.local):
    """The calling thread's open batch, if any (other threads write straight through)."""

    held: HeldWrites | None = None


class HoldingVectorStore:
    """mem0's vector store; inside a batch, ``insert`` is held. Everything else passes through.

    With ``fact_vectors``, a learned fact's vector is blended with its utterance's on insert and on
    update (mem0 re-embeds the bare text on every update, a metadata-only one included).
    """

    def __init__(self, inner: Any, batches: Batches, fact_vectors: FactVectors | None = None) -> None:
        self._inner = inner
        self._batches = batches
        self._fact_vectors = fact_vectors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def update(self, vector_id: str, vector: list | None = None, payload: dict | None = None) -> Any:
        if vector is not None and self._fact_vectors is not None:
            vector = self._fact_vectors.vector(vector, payload)
        return self._inner.update(vector_id=vector_id, vector=vector, payload=payload)

    def insert(self, vectors: list, payloads: list | None = None, ids: list | None = None) -> Any:
        if self._fact_vectors is not None and payloads:
            vectors = self._fact_vectors.vectors(vectors, payloads)
        held = self._batches.held
        if held is None:
            return self._inner.insert(vectors=vectors, payloads=payloads, ids=ids)
        held.vectors.extend(vectors)
        held.payloads.extend(payloads or [{} for _ in vectors])
        held.ids.extend(ids or [])
        return None


class HoldingHistory:
    """mem0's history store; inside a batch, new rows are held. Everything else passes through."""

    def __init__(self, inner: Any, batches: Batches) -> None:
        self._inner = inner
        self._batches = batches

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def add_history(self, memory_id: str, old_memory: str | None, new_memory: str | None, event: str,
                    **columns: Any) -> None:
        held = self._batches.held
        if held is None:
            return self._inner.add_history(memory_id, old_memory, new_memory, event, **columns)
        held.history.append({"memory_id": memory_id, "old_memory": old_memory, "new_memory": new_memory,
                             "event": event, **columns})
        return None

    def batch_add_history(self, records: list[dict[str, Any]]) -> None:
        held = self._batches.held
        if held is None:
            return self._inner.batch_add_history(records)
        held.history.extend(records)
        return None
