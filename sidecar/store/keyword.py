"""Keyword channel: a scoped SQLite FTS5 index of memory texts, ranked by BM25.

One row per memory id, with the mem0 scope (user_id / agent_id / run_id) kept in a
plain table joined inside SQL, so a search never sees rows outside its filters.
Each memory has two indexed columns: ``text`` (the memory itself) and ``context``
(optional surrounding text: the previous turn, the utterance a fact was learned from,
the date), weighted like the text in BM25 (``CONTEXT_WEIGHT``).

The index is derived from the store: a damaged file is kept aside and a new one
started (:attr:`KeywordIndex.recovered_from`), and :meth:`KeywordIndex.digests`
lets :mod:`sidecar.store.keyword_sync` compare it with the store row by row.
Each term's document frequency is kept current by every write
(:mod:`sidecar.store.keyword_df`), so planning a search counts no doclists.
Schema and migrations: :mod:`sidecar.store.keyword_schema`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from sidecar.sqlite_files import set_aside
from sidecar.store import keyword_df, keyword_schema
from sidecar.store.keyword_connections import ThreadConnections
from sidecar.store.keyword_scope import ScopeSizes
from sidecar.store import keyword_topk
from sidecar.store.keyword_query import DEFAULT_STOPWORDS, match_phrases
from sidecar.store.keyword_rows import row_digest, scope_conditions
from sidecar_shared.protocol import SCOPE_KEYS

# A context occurrence counts like a text one. Half (the first setting, tuned on verbatim turns with
# the previous turn as context) cost the learn path, whose context is the fact's own utterance:
# LoCoMo learn-path turn recall@10 +0.017 / 0.000 / +0.015 on three conversations at 1.0, verbatim
# 0.763 -> 0.760 (docs/benchmarks.md).
CONTEXT_WEIGHT = 1.0

STEMMING_TOKENIZER = "porter unicode61 remove_diacritics 2"
PLAIN_TOKENIZER = "unicode61 remove_diacritics 2"



class KeywordIndex:
    """BM25 keyword search over memory texts, scoped like mem0 (thread-safe).

    Each thread gets its own SQLite connection (WAL mode, so readers never block
    the writer); ``close()`` closes them all.
    """

    def __init__(
        self,
        path: Path,
        *,
        stemming: bool = True,
        stopwords: Iterable[str] = DEFAULT_STOPWORDS,
        prefix: bool = False,
        context_weight: float | None = None,
        topk_budget: int = keyword_topk.DEFAULT_BUDGET,
    ) -> None:
        self.path = Path(path)
        self.tokenizer = STEMMING_TOKENIZER if stemming else PLAIN_TOKENIZER
        self.stopwords = frozenset(stopwords)
        self.prefix = prefix
        self.context_weight = CONTEXT_WEIGHT if context_weight is None else float(context_weight)
        self.topk_budget = int(topk_budget)
        self._db = ThreadConnections(self.path, lambda conn: keyword_df.attach(conn, self.tokenizer))
        self._words: dict[str, tuple[str, ...]] = {}  # query word -> its tokens (keyword_df.phrase_frequencies)
        self._scopes = ScopeSizes()
        self.recovered_from: str | None = None  # the name a damaged file was kept under, if it was
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._open_checked()

    def _conn(self) -> sqlite3.Connection:
        return self._db.conn()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction(self._scopes.written)

    def batch(self) -> AbstractContextManager[None]:
        """Run this thread's writes inside the block in one transaction (a batch add; see
        :meth:`ThreadConnections.batch`)."""
        return self._db.batch(self._scopes.written)

    def _prepare_schema(self) -> None:
        conn = self._conn()
        keyword_schema.prepare(conn, self.path, self.tokenizer)
        keyword_df.check(conn)

    def _open_checked(self) -> None:
        """Open and check the file; a damaged one is kept aside and a new, empty index started."""
        try:
            self._prepare_schema()
        except sqlite3.DatabaseError as exc:
            self._db.drop()
            self.recovered_from = set_aside(self.path, str(exc)).name
            self._prepare_schema()

    # -- writes ------------------------------------------------------------------

    def upsert(
        self,
        memory_id: str,
        text: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        context: str = "",
    ) -> None:
        """Insert or replace the indexed text and scope of ``memory_id``."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT rowid FROM keyword_rows WHERE memory_id=?", (memory_id,)
            ).fetchone()
            touched = conn.execute("SELECT COALESCE(MAX(touched), 0) + 1 FROM keyword_rows").fetchone()[0]
            if row is None:
                cur = conn.execute(
                    "INSERT INTO keyword_rows(memory_id, user_id, agent_id, run_id, touched) "
                    "VALUES(?, ?, ?, ?, ?)",
                    (memory_id, user_id, agent_id, run_id, touched),
                )
                rowid = cur.lastrowid
                before = []
            else:
                rowid = row[0]
                conn.execute(
                    "UPDATE keyword_rows SET user_id=?, agent_id=?, run_id=?, touched=? WHERE rowid=?",
                    (user_id, agent_id, run_id, touched, rowid),
                )
                before = keyword_df.documents(conn, "rowid = ?", [rowid])
                conn.execute("DELETE FROM keyword_fts WHERE rowid=?", (rowid,))
            conn.execute(
                "INSERT INTO keyword_fts(rowid, text, context) VALUES(?, ?, ?)",
                (rowid, text, context),
            )
            keyword_df.replace(conn, before, [keyword_df.document(text, context)])

    def delete(self, memory_id: str) -> bool:
        """Remove ``memory_id``; returns whether it was indexed."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT rowid FROM keyword_rows WHERE memory_id=?", (memory_id,)
            ).fetchone()
            if row is not None:
                keyword_df.replace(conn, keyword_df.documents(conn, "rowid = ?", [row[0]]), [])
                conn.execute("DELETE FROM keyword_fts WHERE rowid=?", (row[0],))
                conn.execute("DELETE FROM keyword_rows WHERE rowid=?", (row[0],))
        return row is not None

    def delete_scope(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Remove every memory matching all given scope ids; returns how many went."""
        where, params = _scope_clause(
            {k: v for k, v in zip(SCOPE_KEYS, (user_id, agent_id, run_id)) if v is not None}
        )
        scoped = f"rowid IN (SELECT rowid FROM keyword_rows r WHERE {where})"
        with self._transaction() as conn:
            many = conn.execute(f"SELECT count(*) FROM keyword_rows r WHERE {where}", params).fetchone()[0] \
                > keyword_df.REBUILD_ABOVE
            if not many:
                keyword_df.replace(conn, keyword_df.documents(conn, scoped, params), [])
            conn.execute(f"DELETE FROM keyword_fts WHERE {scoped}", params)
            removed = conn.execute(f"DELETE FROM keyword_rows AS r WHERE {where}", params).rowcount
            if many:
                keyword_df.rebuild(conn)
        return removed

    # -- reads -------------------------------------------------------------------

    def search(
        self, query: str, *, filters: Mapping[str, str], limit: int = 60
    ) -> list[tuple[str, float]]:
        """Best ``limit`` memories in scope for ``query`` as (memory id, relevance).

        Relevance is the negated FTS5 BM25 score, so higher is better. ``filters``
        must name at least one of user_id / agent_id / run_id (equality, all must hold).
        When more than ``topk_budget`` rows match, only the rows of the query's rarest
        terms are scored (:mod:`sidecar.store.keyword_topk`).
        """
        where, params = _scope_clause(filters)
        phrases = match_phrases(query, stopwords=self.stopwords, prefix=self.prefix)
        return keyword_topk.ranked(self._conn(), phrases, where, params, limit=limit,
                                   context_weight=self.context_weight, budget=self.topk_budget,
                                   frequencies=self.document_frequencies,
                                   scope_rows=lambda: self._scopes.rows(self._conn(), where, params))

    def document_frequencies(self, phrases: list[str]) -> list[int]:
        """How many rows match each FTS5 phrase (kept counts, no doclist walked for a plain word)."""
        return keyword_df.phrase_frequencies(self._conn(), phrases, self._words)

    def count(self, filters: Mapping[str, str] | None = None) -> int:
        """Number of indexed memories, in scope if ``filters`` are given."""
        if not filters:
            return self._conn().execute("SELECT COUNT(*) FROM keyword_rows").fetchone()[0]
        where, params = _scope_clause(filters)
        return self._conn().execute(
            f"SELECT COUNT(*) FROM keyword_rows r WHERE {where}", params
        ).fetchone()[0]

    def ids(self, filters: Mapping[str, str] | None = None) -> set[str]:
        """Indexed memory ids (in scope if ``filters`` are given), to resync with the store."""
        if not filters:
            rows = self._conn().execute("SELECT memory_id FROM keyword_rows").fetchall()
        else:
            where, params = _scope_clause(filters)
            rows = self._conn().execute(
                f"SELECT memory_id FROM keyword_rows r WHERE {where}", params
            ).fetchall()
        return {row[0] for row in rows}

    def neighbour_text(self, *, user_id: str | None, agent_id: str | None, run_id: str | None) -> str | None:
        """Text of the memory indexed last with exactly this scope (the previous turn of a run)."""
        row = self._conn().execute(
            "SELECT f.text FROM keyword_rows r JOIN keyword_fts f ON f.rowid = r.rowid "
            "WHERE r.user_id IS ? AND r.agent_id IS ? AND r.run_id IS ? ORDER BY r.rowid DESC LIMIT 1",
            (user_id, agent_id, run_id)).fetchone()
        return row[0] if row else None

    def counts_by(self, column: str) -> dict[str, int]:
        """Rows per value of ``user_id`` or ``agent_id`` (``-`` for none), most first."""
        if column not in ("user_id", "agent_id"):
            raise ValueError(f"cannot count by {column!r}")
        rows = self._conn().execute(
            f"SELECT COALESCE({column}, '-'), COUNT(*) AS n FROM keyword_rows GROUP BY 1 ORDER BY n DESC").fetchall()
        return {str(value): int(count) for value, count in rows}

    def newest(self, filters: Mapping[str, str], limit: int) -> list[str]:
        """Ids of the ``limit`` memories of a scope written (added or changed) most recently."""
        where, params = _scope_clause(filters)
        rows = self._conn().execute(
            f"SELECT memory_id FROM keyword_rows r WHERE {where} ORDER BY r.touched DESC LIMIT ?",
            (*params, int(limit))).fetchall()
        return [row[0] for row in rows]

    def context_of(self, memory_id: str) -> str | None:
        """The context column stored with ``memory_id`` (kept when its text is updated)."""
        row = self._conn().execute(
            "SELECT f.context FROM keyword_rows r JOIN keyword_fts f ON f.rowid = r.rowid WHERE r.memory_id = ?",
            (memory_id,)).fetchone()
        return row[0] if row else None

    def digests(self) -> dict[str, str]:
        """``{memory id: digest of its text and scope}`` for every indexed row (see :func:`row_digest`)."""
        rows = self._conn().execute(
            "SELECT r.memory_id, r.user_id, r.agent_id, r.run_id, f.text FROM keyword_rows r "
            "LEFT JOIN keyword_fts f ON f.rowid = r.rowid").fetchall()
        return {memory_id: row_digest(text or "", user_id, agent_id, run_id)
                for memory_id, user_id, agent_id, run_id, text in rows}

    def compact(self) -> None:
        """Merge the index into one segment, so deleted texts leave no terms behind, and empty the WAL."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO keyword_fts(keyword_fts) VALUES('optimize')")
        self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close every connection this index opened, in any thread."""
        self._db.close()

    def __enter__(self) -> KeywordIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scope_clause(filters: Mapping[str, str]) -> tuple[str, list[str]]:
    return scope_conditions(filters, "r.{} = ?")
