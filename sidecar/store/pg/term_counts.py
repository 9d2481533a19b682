"""BM25's document frequencies on the server: how many keyword rows hold each query term.

A rare term is counted exactly through the GIN index (cheap: few rows). Counting a
common one would build a large bitmap on every search, so a term that PostgreSQL's
own statistics of the ``tsv`` column (``pg_stats.most_common_elems``, what
``ANALYZE`` and autovacuum keep) put at :data:`EXACT_UP_TO` rows or more is not
counted: its share of rows times the exact row count stands in. Before any
statistics exist a count stops at :data:`EXACT_UP_TO`. A common term's IDF
is small either way, so an estimate there moves a ranking far less than one on a rare
term would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from sidecar.store.pg.schema import KEYWORDS

EXACT_UP_TO = 1000
COMMON_REFRESH_S = 300.0  # how long the statistics are reused (they change only at ANALYZE)

_COMMON = ("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
           "WHERE schemaname = current_schema() AND tablename = %s AND attname = 'tsv'")


def tsquery_term(lexeme: str) -> str:
    """``lexeme`` as one quoted tsquery operand (taken as it is: already stemmed)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _count_sql(n: int) -> str:
    # The tsquery is a value, not an expression, so the planner estimates it from the
    # column's statistics and reads the GIN index.
    return " UNION ALL ".join(
        f"(SELECT {i} AS i, count(*) FROM (SELECT 1 FROM {KEYWORDS} WHERE tsv @@ %s::tsquery "
        f"LIMIT {EXACT_UP_TO}) AS found)" for i in range(n))


class TermCounts:
    """Document frequencies of lexemes (thread-safe; keeps the column statistics a while)."""

    def __init__(self) -> None:
        self._common: dict[str, float] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def counts(self, conn: Any, lexemes: Sequence[str], rows: int) -> list[int]:
        """Rows holding each of ``lexemes`` (of ``rows`` in all): exact below :data:`EXACT_UP_TO`.

        A term the column statistics name as common is not counted at all: building
        its GIN bitmap is what makes counting a common term cost.
        """
        common = self._frequencies(conn)
        estimates = {x: round(common.get(x, 0.0) * rows) for x in lexemes}
        to_count = [x for x in lexemes if estimates[x] < EXACT_UP_TO]
        counted: dict[int, int] = {}
        if to_count:
            counted = dict(conn.execute(_count_sql(len(to_count)), [tsquery_term(x) for x in to_count]).fetchall())
        exact = {x: int(counted[i]) for i, x in enumerate(to_count)}
        return [exact[x] if x in exact and exact[x] < EXACT_UP_TO else max(exact.get(x, 0), estimates[x])
                for x in lexemes]

    def _frequencies(self, conn: Any) -> dict[str, float]:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at > COMMON_REFRESH_S:
                row = conn.execute(_COMMON, (KEYWORDS,)).fetchone()
                elems, freqs = (row or (None, None))
                self._common = dict(zip(elems or [], (float(f) for f in freqs or [])))
                self._read_at = now
            return self._common
