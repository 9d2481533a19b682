"""How many keyword rows a searched scope holds, remembered until the index changes.

:mod:`sidecar.store.keyword_topk` uses the size of a scope to decide, without counting
its matches, that they cannot fit the budget (a scope holding nearly the whole store).
Counting a scope of 100k rows takes milliseconds, so the figure is kept per connection
(each thread has its own) and dropped when ``PRAGMA data_version`` shows another
connection committed, or this index wrote (:meth:`ScopeSizes.written`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence


class ScopeSizes:
    """(rows in a scope, rows in all) per thread's connection, valid until the next write."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._writes = 0

    def written(self) -> None:
        """Called inside each write transaction, before it commits (writers hold SQLite's lock, so none is lost)."""
        self._writes += 1

    def rows(self, conn: sqlite3.Connection, where: str, params: Sequence[str]) -> tuple[int, int]:
        """Rows of ``keyword_rows r`` matching ``where``, and rows in all."""
        stamp = (conn.execute("PRAGMA data_version").fetchone()[0], self._writes)
        kept = getattr(self._local, "kept", None)
        if kept is None or kept[0] != stamp:
            kept = self._local.kept = (stamp, {})
        key = (where, *params)
        if key not in kept[1]:
            kept[1][key] = (conn.execute(f"SELECT count(*) FROM keyword_rows r WHERE {where}", params).fetchone()[0],
                            conn.execute("SELECT count(*) FROM keyword_rows").fetchone()[0])
        return kept[1][key]
