"""The keyword channel on the server: PostgreSQL full-text search over ``sidecar_keywords``.

The same interface as :class:`sidecar.store.keyword.KeywordIndex` (SQLite FTS5),
so :class:`sidecar.store.hybrid.HybridIndex` and the resync work unchanged, and
every daemon on the database searches the same index. Each memory's text is
weighted A and its context (previous turn, date) D in one ``tsvector`` (English
stemming, GIN index); a query is the OR of its non-stopword terms
(``websearch_to_tsquery``, which never fails on user text), ranked by
``ts_rank_cd`` with the context at half the weight of the text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sidecar.store.keyword import row_digest, scope_conditions
from sidecar.store.keyword_query import DEFAULT_STOPWORDS, query_terms
from sidecar.store.pg.schema import KEYWORDS
from sidecar_shared.protocol import SCOPE_KEYS

_WEIGHTS = "{0.5, 0.0, 0.0, 1.0}"  # D, C, B, A: context at half the weight of the text


class PgKeywordIndex:
    """Scoped keyword search in PostgreSQL (thread-safe: each call borrows a pooled connection)."""

    def __init__(self, pool: Any, *, stopwords: Iterable[str] = DEFAULT_STOPWORDS, label: str = "") -> None:
        self._pool = pool
        self.stopwords = frozenset(stopwords)
        self.path = Path(label or KEYWORDS)
        self.recovered_from: str | None = None  # a database table is never set aside
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run this thread's calls inside the block on one connection, in one transaction (a batch add)."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self._pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def upsert(self, memory_id: str, text: str, *, user_id: str | None = None, agent_id: str | None = None,
               run_id: str | None = None, context: str = "") -> None:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO {KEYWORDS} (memory_id, user_id, agent_id, run_id, text, context, added, touched) "
                f"VALUES (%s, %s, %s, %s, %s, %s, nextval('{KEYWORDS}_seq'), currval('{KEYWORDS}_seq')) "
                "ON CONFLICT (memory_id) DO UPDATE SET user_id = EXCLUDED.user_id, agent_id = EXCLUDED.agent_id, "
                "run_id = EXCLUDED.run_id, text = EXCLUDED.text, context = EXCLUDED.context, "
                "touched = EXCLUDED.touched",
                (memory_id, user_id, agent_id, run_id, text, context))

    def delete(self, memory_id: str) -> bool:
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM {KEYWORDS} WHERE memory_id = %s", (memory_id,)).rowcount > 0

    def delete_scope(self, *, user_id: str | None = None, agent_id: str | None = None,
                     run_id: str | None = None) -> int:
        where, params = _scope_clause({k: v for k, v in zip(SCOPE_KEYS, (user_id, agent_id, run_id))
                                       if v is not None})
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM {KEYWORDS} WHERE {where}", params).rowcount

    def search(self, query: str, *, filters: Mapping[str, str], limit: int = 60) -> list[tuple[str, float]]:
        where, params = _scope_clause(filters)
        terms = query_terms(query, self.stopwords)
        if not terms or limit <= 0:
            return []
        text = " or ".join(terms)
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT memory_id, ts_rank_cd('{_WEIGHTS}', tsv, q) AS relevance "
                f"FROM {KEYWORDS}, websearch_to_tsquery('english', %s) q "
                f"WHERE tsv @@ q AND {where} ORDER BY relevance DESC, memory_id LIMIT %s",
                (text, *params, int(limit))).fetchall()
        return [(memory_id, float(score)) for memory_id, score in rows]

    def count(self, filters: Mapping[str, str] | None = None) -> int:
        where, params = _scope_clause(filters) if filters else ("TRUE", [])
        with self._connection() as conn:
            return int(conn.execute(f"SELECT count(*) FROM {KEYWORDS} WHERE {where}", params).fetchone()[0])

    def ids(self, filters: Mapping[str, str] | None = None) -> set[str]:
        where, params = _scope_clause(filters) if filters else ("TRUE", [])
        with self._connection() as conn:
            return {row[0] for row in conn.execute(f"SELECT memory_id FROM {KEYWORDS} WHERE {where}", params)}

    def neighbour_text(self, *, user_id: str | None, agent_id: str | None, run_id: str | None) -> str | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT text FROM {KEYWORDS} WHERE user_id IS NOT DISTINCT FROM %s AND agent_id IS NOT DISTINCT "
                "FROM %s AND run_id IS NOT DISTINCT FROM %s ORDER BY added DESC LIMIT 1",
                (user_id, agent_id, run_id)).fetchone()
        return row[0] if row else None

    def counts_by(self, column: str) -> dict[str, int]:
        if column not in ("user_id", "agent_id"):
            raise ValueError(f"cannot count by {column!r}")
        with self._connection() as conn:
            rows = conn.execute(f"SELECT COALESCE({column}, '-'), count(*) AS n FROM {KEYWORDS} "
                                "GROUP BY 1 ORDER BY n DESC").fetchall()
        return {str(value): int(n) for value, n in rows}

    def newest(self, filters: Mapping[str, str], limit: int) -> list[str]:
        where, params = _scope_clause(filters)
        with self._connection() as conn:
            rows = conn.execute(f"SELECT memory_id FROM {KEYWORDS} WHERE {where} ORDER BY touched DESC LIMIT %s",
                                (*params, int(limit))).fetchall()
        return [row[0] for row in rows]

    def context_of(self, memory_id: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute(f"SELECT context FROM {KEYWORDS} WHERE memory_id = %s", (memory_id,)).fetchone()
        return row[0] if row else None

    def digests(self) -> dict[str, str]:
        with self._connection() as conn:
            rows = conn.execute(f"SELECT memory_id, user_id, agent_id, run_id, text FROM {KEYWORDS}").fetchall()
        return {memory_id: row_digest(text or "", user_id, agent_id, run_id)
                for memory_id, user_id, agent_id, run_id, text in rows}

    def compact(self) -> None:
        """PostgreSQL's autovacuum keeps the table; nothing to do."""

    def close(self) -> None:
        """The pool belongs to the backend, which closes it."""


def _scope_clause(filters: Mapping[str, str]) -> tuple[str, list[str]]:
    return scope_conditions(filters, "{} = %s")
