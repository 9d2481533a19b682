"""The dense channel of search: Chroma nearest neighbours, shaped like mem0's results.

Chroma answers a ``where``-filtered query by collecting every matching id first,
which costs ~40 ms at 10k memories when one user owns them all, while the same
query without a filter takes ~2 ms. So when the scope holds most of the
collection, we ask Chroma without the filter, over-fetch by the inverse of the
scope's share, and keep the rows of the scope; when too few survive, or the
scope is a small share, the filtered query is used as before. Scores and
row shapes are mem0's: ``1 / (1 + squared L2 distance)``, promoted scope keys,
the rest of the payload under ``metadata``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any

CORE_KEYS = {"data", "hash", "created_at", "updated_at", "id", "text_lemmatized", "attributed_to"}
PROMOTED_KEYS = ("user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", "expiration_date")
UNFILTERED_SHARE = 0.5  # at or above this share of the collection, query without the filter
COUNT_TTL_S = 5.0  # counting costs ~8 ms at 100k rows; the counts only steer the strategy


def expired(payload: Mapping[str, Any]) -> bool:
    value = payload.get("expiration_date")
    if not value:
        return False
    try:
        return date.fromisoformat(str(value)) < datetime.now(timezone.utc).date()
    except ValueError:
        return False


def memory_row(memory_id: str, payload: Mapping[str, Any], score: float) -> dict[str, Any]:
    """One search result in mem0's shape."""
    row: dict[str, Any] = {"id": memory_id, "memory": payload.get("data", ""), "hash": payload.get("hash"),
                           "metadata": None, "score": score, "created_at": payload.get("created_at"),
                           "updated_at": payload.get("updated_at")}
    for key in PROMOTED_KEYS:
        if key in payload:
            row[key] = payload[key]
    extra = {k: v for k, v in payload.items() if k not in CORE_KEYS and k not in PROMOTED_KEYS}
    if extra:
        row["metadata"] = extra
    return row


def record_from_payload(memory_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row in the shape of mem0's ``get``/``get_all`` results (no score)."""
    row = memory_row(memory_id, payload, 0.0)
    del row["score"]
    return row


class DenseChannel:
    """Nearest memories of a scope for a query vector."""

    def __init__(self, collection: Any, scope_size: Callable[[Mapping[str, str]], int]) -> None:
        self._collection = collection
        self._scope_size = scope_size
        self._counts: dict[tuple, tuple[int, float]] = {}
        self.unfiltered_queries = 0
        self.filtered_queries = 0

    def _cached(self, key: tuple, count: Callable[[], int]) -> int:
        """A recent count (a stale one only picks the slower strategy; results stay right)."""
        now = time.monotonic()
        hit = self._counts.get(key)
        if hit is None or hit[1] < now:
            hit = (count(), now + COUNT_TTL_S)
            self._counts[key] = hit
        return hit[0]

    def search(self, vector: list[float], filters: Mapping[str, str], depth: int) -> list[dict[str, Any]]:
        total = self._cached(("*",), self._collection.count)
        if total == 0:
            total = self._collection.count()  # a store that was empty a moment ago
            if total == 0:
                return []
            self._counts[("*",)] = (total, time.monotonic() + COUNT_TTL_S)
        in_scope = self._cached(tuple(sorted(filters.items())), lambda: self._scope_size(filters))
        if in_scope and in_scope / total >= UNFILTERED_SHARE:
            fetch = min(total, math.ceil(depth * total / in_scope * 1.5) + 10)
            rows = self._query(vector, fetch, None)
            rows = [r for r in rows if all(r[1].get(k) == v for k, v in filters.items())]
            if len(rows) >= min(depth, in_scope):
                self.unfiltered_queries += 1
                return self._rows(rows[:depth])
        self.filtered_queries += 1
        where = dict(filters) if len(filters) == 1 else {"$and": [{k: v} for k, v in filters.items()]}
        return self._rows(self._query(vector, depth, where))

    def _query(self, vector: list[float], count: int, where: dict | None) -> list[tuple[str, dict, float]]:
        result = self._collection.query(query_embeddings=[vector], n_results=count, where=where,
                                        include=["metadatas", "distances"])
        return [(row_id, meta or {}, distance) for row_id, meta, distance in
                zip(result["ids"][0], result["metadatas"][0], result["distances"][0])]

    @staticmethod
    def _rows(rows: list[tuple[str, dict, float]]) -> list[dict[str, Any]]:
        return [memory_row(row_id, meta, 1.0 / (1.0 + distance)) for row_id, meta, distance in rows
                if meta.get("data") and not expired(meta)]
