"""BM25's document frequencies on the server: how many keyword rows hold each query term.

A rare term is counted exactly through the GIN index (as FTS5 counts its doclists),
inside the search's first statement (:func:`count_sql`), so it costs no round trip of
its own; the count reads the index's bitmap only (no column of the row is asked for,
so the rows of pages the visibility map calls all-visible are not visited). Counting a
common one would build a large bitmap on every search, so a term that PostgreSQL's own
statistics of the ``tsv`` column (``pg_stats.most_common_elems``, what ``ANALYZE`` and
autovacuum keep) put at :data:`ESTIMATE_FROM` rows or more is not counted: its share of
rows times the exact row count stands in. A count stops at :data:`EXACT_UP_TO` (a term
the statistics do not know yet). A common term's IDF is small either way, so an estimate there moves
a ranking far less than one on a rare term would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from sidecar.store.pg.schema import KEYWORDS

EXACT_UP_TO = 1000
# The statistics (a 30k-row sample) list terms down to ~150 rows at 100k memories. Estimating from 200 rows
# instead saved ~1 ms of server CPU per search there but cost exactness: the top 10 equal to a fully exact
# BM25's for 0.88 of 300 LoCoMo questions instead of 0.94 (2026-11-30), so only what is not counted cheaply is.
ESTIMATE_FROM = EXACT_UP_TO
COMMON_REFRESH_S = 300.0  # how long the statistics are reused (they change only at ANALYZE)

_COMMON = ("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
           "WHERE schemaname = current_schema() AND tablename = %s AND attname = 'tsv'")
# A lexeme as one quoted tsquery operand, in SQL (what tsquery_term does in Python).
_OPERAND = "('''' || replace(replace({0}, '\\', '\\\\'), '''', '''''') || '''')::tsquery"


def tsquery_term(lexeme: str) -> str:
    """``lexeme`` as one quoted tsquery operand (taken as it is: already stemmed)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def count_sql(lexeme: str) -> str:
    """SQL counting the rows that hold the lexeme named by the SQL expression ``lexeme``, up to
    :data:`EXACT_UP_TO` (the tsquery is built on the server, and the GIN index answers)."""
    return (f"(SELECT count(*) FROM (SELECT FROM {KEYWORDS} WHERE tsv @@ {_OPERAND.format(lexeme)} "
            f"LIMIT {EXACT_UP_TO}) AS found)")


class TermCounts:
    """Document frequencies of lexemes (thread-safe; keeps the column statistics a while)."""

    def __init__(self) -> None:
        self._common: dict[str, float] = {}
        self._read_at: float | None = None
        self._rows = 0  # the table's size at the last search: which terms the statistics call common
        self._lock = threading.Lock()

    def common(self, conn: Any) -> list[str]:
        """The lexemes not to count (their estimate is :data:`ESTIMATE_FROM` rows or more)."""
        frequencies = self._frequencies(conn)
        rows = self._rows
        return [lexeme for lexeme, share in frequencies.items() if round(share * rows) >= ESTIMATE_FROM]

    def resolve(self, lexemes: Sequence[str], counted: Sequence[int | None], rows: int) -> list[int]:
        """Rows holding each of ``lexemes`` (of ``rows`` in all), from the first statement's counts
        (``None``: a term :meth:`common` left out) and the statistics' estimates (for a count at its cap)."""
        self._rows = rows
        common = self._common
        found = []
        for lexeme, exact in zip(lexemes, counted):
            estimate = round(common.get(lexeme, 0.0) * rows)
            if exact is not None and int(exact) < EXACT_UP_TO:
                found.append(int(exact))
            else:
                found.append(max(int(exact or 0), estimate))
        return found

    def _frequencies(self, conn: Any) -> dict[str, float]:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at > COMMON_REFRESH_S:
                row = conn.execute(_COMMON, (KEYWORDS,)).fetchone()
                elems, freqs = (row or (None, None))
                self._common = dict(zip(elems or [], (float(f) for f in freqs or [])))
                self._read_at = now
            return self._common
