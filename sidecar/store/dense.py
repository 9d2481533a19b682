"""The dense channel of search: nearest neighbours from the vector store, in mem0's result shape.

Chroma answers a ``where``-filtered query by collecting every matching id first,
which costs ~40 ms at 10k memories when one user owns them all, while the same
query without a filter takes ~2 ms. So when the scope holds most of the
collection, we ask without the filter, over-fetch by the inverse of the scope's
share, and keep the rows of the scope; when too few survive, or the scope is a
small share, the filtered query is used as before. Scores and row shapes are
mem0's (see :mod:`sidecar.store.chroma_rows`).

Reading the rows' metadata costs more than the nearest-neighbour query itself
(~7 of 9 ms for 100 rows), so when the scope holds the whole collection the
query asks for ids and distances only; the hits are then bare ``{id, score}``,
and :meth:`DenseChannel.rows_of` reads the rows of only the ids a search keeps
after fusion, the keyword channel's included, in one call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sidecar.store.chroma_rows import ScoredRow, StoredRow, scope_where

UNFILTERED_SHARE = 0.5  # at or above this share of the collection, query without the filter
# Counting may cost ~8 ms at 100k rows (the server backend's counts are kept by the server and cost ~0.1 ms:
# pg/row_stats.py, PgKeywordIndex.count); the counts only steer the strategy.
COUNT_TTL_S = 5.0


class NearestRows(Protocol):
    """What the channel needs from the store (:class:`~sidecar.store.mem0_adapter.Mem0Adapter`)."""

    def count(self) -> int: ...

    def nearest(self, vector: Sequence[float], n: int,
                where: Mapping[str, Any] | None = None) -> list[ScoredRow]: ...

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]: ...

    def rows(self, ids: Sequence[str]) -> list[StoredRow]: ...


class DenseChannel:
    """Nearest memories of a scope for a query vector."""

    def __init__(self, rows: NearestRows, scope_size: Callable[[Mapping[str, str]], int]) -> None:
        self._rows = rows
        self._scope_size = scope_size
        self._counts: dict[tuple, tuple[int, float]] = {}
        self.unfiltered_queries = 0
        self.bare_queries = 0
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
        """Up to ``depth`` mem0-shaped hits of the scope ``filters``, best first."""
        total = self._cached(("*",), self._rows.count)
        if total == 0:
            total = self._rows.count()  # a store that was empty a moment ago
            if total == 0:
                return []
            self._counts[("*",)] = (total, time.monotonic() + COUNT_TTL_S)
        in_scope = self._cached(tuple(sorted(filters.items())), lambda: self._scope_size(filters))
        if in_scope >= total:  # the scope is the whole collection: no row to leave out, no metadata needed
            self.bare_queries += 1
            return [{"id": row_id, "score": score} for row_id, score in self._rows.nearest_ids(vector, depth)]
        if in_scope and in_scope / total >= UNFILTERED_SHARE:
            fetch = min(total, math.ceil(depth * total / in_scope * 1.5) + 10)
            rows = [r for r in self._rows.nearest(vector, fetch, None) if r.matches(filters)]
            if len(rows) >= min(depth, in_scope):
                self.unfiltered_queries += 1
                return _results(rows[:depth])
        self.filtered_queries += 1
        return _results(self._rows.nearest(vector, depth, scope_where(filters)))


    def rows_of(self, ids: Sequence[str], hits: Sequence[Mapping[str, Any]],
                scope: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """mem0-shaped rows of ``ids`` (a search's fused results): from ``hits`` when they carry one, the
        rest read in one call. Rows gone meanwhile, outside ``scope``, without text or expired are left out."""
        shaped = {str(hit["id"]): dict(hit) for hit in hits if "memory" in hit}
        missing = [memory_id for memory_id in ids if memory_id not in shaped]
        for row in self._rows.rows(missing) if missing else []:
            if row.searchable and row.matches(scope):
                shaped[row.id] = row.record()
        return {memory_id: shaped[memory_id] for memory_id in ids if memory_id in shaped}


def _results(rows: list[ScoredRow]) -> list[dict[str, Any]]:
    return [row.result() for row in rows if row.searchable]
