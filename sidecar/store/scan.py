"""Reading the vector store page by page: every row, or the newest of a scope (the slow fallbacks)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from sidecar.store.chroma_rows import StoredRow, scope_where

SCAN_PAGE = 2000


class ScannableRows(Protocol):
    """What a scan needs from the store (:class:`~sidecar.store.mem0_adapter.Mem0Adapter`)."""

    def scan(self, where: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = 1000,
             payloads: bool = True) -> list[StoredRow]: ...


def all_rows(rows: ScannableRows, where: Mapping[str, Any] | None = None,
             page: int = SCAN_PAGE) -> Iterator[StoredRow]:
    """Every row (matching the Chroma filter ``where``), read ``page`` rows at a time."""
    offset = 0
    while True:
        batch = rows.scan(where=where, offset=offset, limit=page)
        yield from batch
        if len(batch) < page:
            return
        offset += page


def newest_by_scan(rows: ScannableRows, scope: Mapping[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
    """The ``keep`` most recently written memories of ``scope`` (mem0's get shape) and how many it holds.

    The fallback when there is no keyword index: the scope is scanned page by page
    and only the newest rows are kept, so memory stays flat (time does not).
    """
    newest: list[tuple[str, str, StoredRow]] = []
    total = 0
    for row in all_rows(rows, scope_where(scope)):
        if not row.searchable:  # past its expiration date
            continue
        item = (row.written_at, row.id, row)
        if len(newest) < keep:
            heapq.heappush(newest, item)
        elif item[:2] > newest[0][:2]:
            heapq.heapreplace(newest, item)
        total += 1
    return [row.record() for _, _, row in newest], total
