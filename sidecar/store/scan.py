"""Finding the newest memories of a scope by scanning the vector store (the slow fallback)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from sidecar.store.dense import record_from_payload

SCAN_PAGE = 2000


def newest_by_scan(store: Any, scope: Mapping[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
    """The ``keep`` most recently updated memories of ``scope`` and how many it holds.

    The fallback when there is no keyword index: the scope is scanned page by page
    and only the newest rows are kept, so memory stays flat (time does not).
    """
    clauses = [{key: value} for key, value in scope.items()]
    where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
    newest: list[tuple[str, str, dict[str, Any]]] = []
    total, offset = 0, 0
    while True:
        page = store.scan(where=where, offset=offset, limit=SCAN_PAGE)
        for memory_id, payload in zip(page["ids"], page["metadatas"]):
            payload = payload or {}
            stamp = str(payload.get("updated_at") or payload.get("created_at") or "")
            item = (stamp, memory_id, payload)
            if len(newest) < keep:
                heapq.heappush(newest, item)
            elif item > newest[0]:
                heapq.heapreplace(newest, item)
        total += len(page["ids"])
        if len(page["ids"]) < SCAN_PAGE:
            break
        offset += SCAN_PAGE
    records = [record_from_payload(memory_id, payload) for _, memory_id, payload in newest]
    return records, total
