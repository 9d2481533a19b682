"""The optional background pass: every ``[consolidate] interval_hours``, consolidate each user's scope.

Off by default (``interval_hours = 0``). The first pass runs one interval after
the daemon starts, never at start-up. Each scope is consolidated on its own,
under its own write lock, exactly as ``memctl consolidate --user U`` would; a
scope that fails is logged and the pass goes on with the next.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sidecar.learn.consolidate.consolidator import Consolidator
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.consolidate")
SCAN_PAGE = 5000


def top_scopes(store: MemoryStore) -> list[dict[str, str]]:
    """One scope per owner of stored memories: its user, or its agent (or run) when it has no user."""
    seen: set[tuple[str, str]] = set()
    offset = 0
    while True:
        page = store.scan(offset=offset, limit=SCAN_PAGE, include=("metadatas",))
        ids = page.get("ids") or []
        for metadata in page.get("metadatas") or []:
            metadata = metadata or {}
            for key in ("user_id", "agent_id", "run_id"):
                if metadata.get(key):
                    seen.add((key, str(metadata[key])))
                    break
        offset += len(ids)
        if len(ids) < SCAN_PAGE:
            return [{key: value} for key, value in sorted(seen)]


class ConsolidationPass:
    """A daemon thread that consolidates every scope each ``interval_hours`` (0: never starts)."""

    def __init__(self, consolidator: Consolidator, scopes: Callable[[], list[dict[str, str]]],
                 interval_hours: float) -> None:
        self._consolidator = consolidator
        self._scopes = scopes  # the scopes of one pass, read at its start (top_scopes of the store)
        self._interval_s = interval_hours * 3600.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.failures = 0

    def start(self) -> None:
        if self._interval_s > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="consolidate", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.run_once()

    def run_once(self) -> int:
        """Consolidate every scope now; the number of memories deleted."""
        deleted = 0
        for scope in self._scopes():
            if self._stop.is_set():
                break
            try:
                deleted += self._consolidator.run(scope).deleted
            except Exception:  # one bad scope must not end the pass or the thread
                self.failures += 1
                log.exception("consolidating %s failed", scope)
        self.passes += 1
        return deleted

    def status(self) -> dict[str, Any]:
        return {"interval_hours": self._interval_s / 3600.0, "passes": self.passes, "failures": self.failures,
                **self._consolidator.status()}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
