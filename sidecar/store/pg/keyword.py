"""The keyword channel on the server: PostgreSQL full-text search over ``sidecar_keywords``.

The same interface as :class:`sidecar.store.keyword.KeywordIndex` (SQLite FTS5),
so :class:`sidecar.store.hybrid.HybridIndex` and the resync work unchanged, and
every daemon on the database searches the same index. Each memory's text is
weighted A and its context (previous turn, date) D in one ``tsvector`` (English
stemming, GIN index); a query is the OR of its non-stopword terms, ranked by BM25
as SQLite FTS5 ranks it (``k1`` 1.2, ``b`` 0.75, a context token counting half a
text token): each term's IDF comes from its document frequency over the whole
table (:mod:`sidecar.store.pg.term_counts`: a rare term counted through the GIN index,
as FTS5 counts its doclists; a common one's share taken from PostgreSQL's column
statistics), the average length from ``sidecar_keyword_stats`` (a trigger keeps it).
Every tsquery reaches the server as a value, so the planner can use the GIN index.
On a large store only a bounded set of rows is scored (:mod:`sidecar.store.pg.keyword_plan`).
PostgreSQL's own ``ts_rank_cd`` has no IDF, so a rare term weighed no more than
a common one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sidecar.store.keyword_rows import row_digest, scope_conditions
from sidecar.store.keyword_query import DEFAULT_STOPWORDS, query_terms
from sidecar.store.pg import scope_stats
from sidecar.store.pg.keyword_plan import BUDGET, EXACT_SCOPE, plan
from sidecar.store.pg.schema import FOLD_STATS, KEYWORD_STATS, KEYWORDS, TOKENS
from sidecar.store.pg.term_counts import TermCounts, count_sql, tsquery_term
from sidecar_shared.protocol import SCOPE_KEYS

K1, B = 1.2, 0.75  # FTS5's bm25() constants
CONTEXT_WEIGHT = 1.0  # a context (weight D) occurrence counts like a text (weight A) one, as in the embedded index

# A term's frequency in a row (the term ``q.term``, the row's ``c.tsv``). When both weights are 1 it is the
# number of the term's positions, n, and ts_rank (a quarter of ts_rank_cd's CPU: 0.25 against 1.2 us per
# row, 2026-11-30) determines it: with every weight 1 it is (1 + 1/2^2 + ... + 1/n^2) / 1.64493406685, so
# pi^2/6 - 1.64493406685 * ts_rank is about 1 / (n + 1/2). Equal to ts_rank_cd for every count of text and
# context positions up to the 256 a tsvector keeps (tests/store/pg/test_pg_keyword.py); otherwise ts_rank_cd.
TERM_FREQUENCY = ("round(1 / (pi() ^ 2 / 6 - 1.64493406685 * ts_rank('{1, 0, 0, 1}', c.tsv, q.term, 0)) - 0.5)"
                  if CONTEXT_WEIGHT == 1.0 else f"ts_rank_cd('{{{CONTEXT_WEIGHT}, 0, 0, 1}}', c.tsv, q.term, 0)")

FOLD_AFTER = 500  # stats rows (one per write) a search sums before it folds them into one

# One statement before the ranking: the query's lexemes (the server's stemming) with the rows holding each
# (counted through the GIN index unless the statistics call it common: NULL), the table's size and token
# total, the stats rows, and the scope's rows counted up to what the plan needs to know (parameters: text,
# the common lexemes, scope, that count's limit). Two round trips per search instead of three.
_HEAD = ("WITH lx AS MATERIALIZED (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %s))), "
         "n AS MATERIALIZED (SELECT lexeme, CASE WHEN lexeme = ANY(%s::text[]) THEN NULL "
         "ELSE {count} END AS hits FROM lx) "
         "SELECT array(SELECT lexeme FROM n ORDER BY 1), array(SELECT hits FROM n ORDER BY lexeme), "
         "coalesce(sum(docs), 0), coalesce(sum(tokens), 0), count(*), "
         f"(SELECT count(*) FROM (SELECT 1 FROM {KEYWORDS} WHERE {{where}} LIMIT %s) AS s) FROM {KEYWORD_STATS}")
# BM25 over the candidates: the rows in scope that hold any of the plan's terms (the OR query,
# again a value: one GIN lookup), or the newest of them. A term's frequency in a row is
# ts_rank_cd of that one term without normalisation: the sum of its positions' weights, text (A)
# 1 and context (D) CONTEXT_WEIGHT (see :data:`TERM_FREQUENCY`); it is computed only where the row holds the
# term, and once (``hit`` materialised: inlined, the formula's two uses and the filter each called it again).
_BM25 = (
    "WITH q AS MATERIALIZED (SELECT idf, term::tsquery AS term "
    "                        FROM unnest(%s::text[], %s::float8[]) AS x(term, idf)), "
    f"c AS MATERIALIZED (SELECT k.memory_id, k.doclen, k.tsv FROM {KEYWORDS} k "
    "                   WHERE k.tsv @@ %s::tsquery AND {where} {newest}), "
    "hit AS MATERIALIZED (SELECT c.memory_id, c.doclen, q.idf, {tf} AS tf "
    "        FROM c, q WHERE c.tsv @@ q.term) "
    "SELECT memory_id, sum(idf * tf * {k1p1} / (tf + {k1} * (1 - {b} + {b} * coalesce(doclen, %s) / %s))) "
    "AS relevance FROM hit WHERE tf > 0 GROUP BY memory_id ORDER BY relevance DESC, memory_id LIMIT %s")


# How this transaction's next statements are planned (see keyword_plan: which plans are the same for any values).
_PLANS = "SELECT set_config('plan_cache_mode', %s, true)"
# Counting the table's rows costs ~8 ms of server CPU at 100k: they are summed from the statistics' rows.
_TOTAL = f"SELECT coalesce(sum(docs), 0) FROM {KEYWORD_STATS}"


def head_sql(where: str) -> str:
    return _HEAD.format(where=where, count=count_sql("lexeme"))


def bm25_sql(where: str, newest: int | None = None) -> str:
    """The ranking query for a scope condition (parameters: terms, IDFs, the candidates' OR query, scope,
    average twice, limit); ``newest``: only that many newest candidates."""
    return _BM25.format(k1p1=K1 + 1, k1=K1, b=B, tf=TERM_FREQUENCY, where=where,
                        newest="" if newest is None else f"ORDER BY k.touched DESC LIMIT {int(newest)}")


def idf(rows: int, hits: int) -> float:
    """FTS5's IDF of a term found in ``hits`` of ``rows`` rows (never below a tiny positive floor)."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else 1e-6


class PgKeywordIndex:
    """Scoped keyword search in PostgreSQL (thread-safe: each call borrows a pooled connection)."""

    def __init__(self, pool: Any, *, stopwords: Iterable[str] = DEFAULT_STOPWORDS, label: str = "") -> None:
        self._pool = pool
        self.stopwords = frozenset(stopwords)
        self.path = Path(label or KEYWORDS)
        self.recovered_from: str | None = None  # a database table is never set aside
        self._local = threading.local()
        self._term_counts = TermCounts()
        self.budget = BUDGET  # rows scored per search in a scope larger than exact_scope (see keyword_plan)
        self.exact_scope = EXACT_SCOPE

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
                f"INSERT INTO {KEYWORDS} (memory_id, user_id, agent_id, run_id, text, context, added, touched, "
                f"doclen) VALUES (%s, %s, %s, %s, %s, %s, nextval('{KEYWORDS}_seq'), currval('{KEYWORDS}_seq'), "
                f"{TOKENS}(to_tsvector('english', %s)) + {TOKENS}(to_tsvector('english', %s))) "
                "ON CONFLICT (memory_id) DO UPDATE SET user_id = EXCLUDED.user_id, agent_id = EXCLUDED.agent_id, "
                "run_id = EXCLUDED.run_id, text = EXCLUDED.text, context = EXCLUDED.context, "
                "touched = EXCLUDED.touched, doclen = EXCLUDED.doclen",
                (memory_id, user_id, agent_id, run_id, text, context, text, context))

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
        with self._connection() as conn:
            common = self._term_counts.common(conn)
            with conn.pipeline():  # one round trip
                conn.execute(_PLANS, ("force_generic_plan",))  # the head's plan is the same for any values
                head = conn.execute(head_sql(where), (" ".join(terms), common, *params,
                                                      max(self.exact_scope, self.budget) + 1), prepare=True)
            lexemes, counted, docs, tokens, parts, scope_rows = head.fetchone()
            if not lexemes:
                return []
            docs = max(int(docs), 1)
            counts = self._term_counts.resolve(lexemes, counted, docs)
            found = [(tsquery_term(lexeme), hits) for lexeme, hits in zip(lexemes, counts) if hits > 0]
            if not found:
                return []
            chosen = plan(found, scope_rows=int(scope_rows), budget=self.budget, rows=docs, exact=self.exact_scope)
            average = max(int(tokens) / docs, 1.0)
            with conn.pipeline():
                if parts > FOLD_AFTER:
                    conn.execute(FOLD_STATS)
                conn.execute(_PLANS, ("force_generic_plan" if chosen.index_first else "auto",))
                ranked = conn.execute(bm25_sql(where, self.budget if chosen.newest_only else None), (
                    [term for term, _ in found], [idf(docs, hits) for _, hits in found],
                    chosen.query, *params, average, average, int(limit)), prepare=chosen.index_first or None)
            rows = ranked.fetchall()
        return [(memory_id, float(score)) for memory_id, score in rows]

    def count(self, filters: Mapping[str, str] | None = None) -> int:
        """Rows of the scope ``filters`` (all rows without), from the counts the server keeps (no row is read)."""
        with self._connection() as conn:
            if filters:
                return scope_stats.count(conn, filters)
            return int(conn.execute(_TOTAL).fetchone()[0])

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
