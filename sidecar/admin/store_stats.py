"""Memories per user and per agent, and the store's size on disk, for ``status``.

``status`` is answered in the socket thread, so it must never scan the store
itself: it reads the last finished scan, and a stale or dirty snapshot starts
one background rescan (at most one runs at a time). Writes mark the snapshot
dirty through a store observer, so counts catch up within one rescan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sidecar.store.memory_store import MemoryStore, StoreChange

log = logging.getLogger("sidecar.admin")
SCAN_PAGE = 5000
MAX_AGE_S = 30.0
WAIT_S = 0.05


def dir_size(root: Path) -> int:
    """Bytes of all regular files under ``root`` (0 if it does not exist)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:  # a file Chroma removed while we walked
                continue
    return total


@dataclass(frozen=True)
class StoreStats:
    """One finished scan of the store."""

    by_user: dict[str, int] = field(default_factory=dict)
    by_agent: dict[str, int] = field(default_factory=dict)
    scanned: int = 0
    store_bytes: int = 0
    finished_at: float = 0.0
    scan_ms: float = 0.0


def scan_store(store: MemoryStore, page: int = SCAN_PAGE) -> StoreStats:
    """Count every row by ``user_id`` and ``agent_id`` (``-`` for none).

    The keyword index (kept in step with every write, checked by content at start)
    answers with two GROUP BYs, as long as its total agrees with the store's row
    count; without it, or when they disagree (a write in flight, an index out of
    step), the vector store is read page by page.
    """
    started = time.monotonic()
    if store.hybrid is not None:
        keyword = store.hybrid.keyword
        by_user = keyword.counts_by("user_id")
        total, stored = sum(by_user.values()), store.count()
        if total == stored:
            return StoreStats(by_user, keyword.counts_by("agent_id"), total, dir_size(store.path),
                              time.time(), round((time.monotonic() - started) * 1000, 1))
        log.info("the keyword index counts %d memories, the store %d: counting from the store", total, stored)
    users: Counter[str] = Counter()
    agents: Counter[str] = Counter()
    offset = 0
    while True:
        rows = store.scan(offset=offset, limit=page, include=("metadatas",))
        metadatas = rows.get("metadatas") or []
        for metadata in metadatas:
            metadata = metadata or {}
            users[str(metadata.get("user_id") or "-")] += 1
            agents[str(metadata.get("agent_id") or "-")] += 1
        offset += len(rows.get("ids") or [])
        if len(rows.get("ids") or []) < page:
            break
    return StoreStats(dict(users.most_common()), dict(agents.most_common()), offset, dir_size(store.path),
                      time.time(), round((time.monotonic() - started) * 1000, 1))


class StoreStatsCache:
    """The latest :class:`StoreStats`, refreshed in the background when dirty or old."""

    def __init__(self, store: MemoryStore, max_age_s: float = MAX_AGE_S) -> None:
        self._store = store
        self._max_age_s = max_age_s
        self._stats: StoreStats | None = None
        self._dirty = True
        self._running: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.last_error: str | None = None
        store.subscribe(self._on_change)

    def _on_change(self, _change: StoreChange) -> None:
        self._dirty = True

    def refresh_soon(self) -> threading.Thread | None:
        """Start a background scan unless one is running; returns the running scan's thread."""
        with self._lock:
            if self._closed:
                return None
            if self._running is None or not self._running.is_alive():
                self._dirty = False  # writes after this point mark it dirty again
                self._running = threading.Thread(target=self._scan, name="store-stats", daemon=True)
                self._running.start()
            return self._running

    def _scan(self) -> None:
        try:
            stats = scan_store(self._store)
        except Exception as exc:  # a failed scan must not take status down; the next call retries
            log.warning("counting memories failed: %s", exc)
            self.last_error = f"{exc.__class__.__name__}: {exc}"
            self._dirty = True
            return
        self.last_error = None
        self._stats = stats

    def snapshot(self, wait_s: float = WAIT_S) -> dict[str, Any]:
        """The latest counts (``None`` before the first scan); stale ones start a rescan.

        Waits up to ``wait_s`` for that rescan, so small stores answer fresh counts
        while a large one costs the caller (the socket thread) no more than that.
        """
        stats = self._stats
        if self._dirty or stats is None or time.time() - stats.finished_at > self._max_age_s:
            running = self.refresh_soon()
            if running is not None and wait_s > 0:
                running.join(wait_s)
                stats = self._stats
        if stats is None:
            return {"counts": None, "store_bytes": None, "counts_error": self.last_error}
        return {"counts": {"by_user": stats.by_user, "by_agent": stats.by_agent, "total": stats.scanned},
                "counts_age_s": round(time.time() - stats.finished_at, 1), "counts_scan_ms": stats.scan_ms,
                "store_bytes": stats.store_bytes, "counts_error": self.last_error}

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            running = self._running
        if running is not None:
            running.join(timeout)
