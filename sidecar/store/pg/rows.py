"""mem0's rows in PostgreSQL, read directly: the same reads as :class:`sidecar.store.chroma_rows.ChromaRows`.

mem0's pgvector table keeps the same payload as its Chroma rows, so
:class:`~sidecar.store.chroma_rows.StoredRow` shapes both. Filters arrive in the
small Chroma ``where`` language :func:`~sidecar.store.chroma_rows.scope_where`
writes (``$and`` of ``{key: {"$eq": v}}``, ``{key: {"$in": [...]}}`` or
``{key: v}``) and become SQL on ``payload->>key``.

Distances: mem0 indexes cosine distance ``d``; we report ``2·d``, the squared L2
distance of unit vectors, so a hit scores ``1 / (1 + 2·d)`` exactly as the same
hit does in Chroma and the fusion weights mean the same on both backends.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sidecar.store.chroma_rows import HASH_KEY, ScoredRow, StoredRow, scope_where, score_of
from sidecar.store.pg import row_stats

MAX_EF_SEARCH = 1000
# The index's search breadth for this transaction only; sent in one pipeline with BEGIN and the query
# (one round trip to the server instead of three: each one waits for a core on a loaded machine).
_EF_SEARCH = "SELECT set_config('hnsw.ef_search', %s, true)"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def where_sql(where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """SQL conditions (``TRUE`` for none) and their parameters for a Chroma ``where``."""
    if not where:
        return "TRUE", []
    if "$and" in where:
        parts = [where_sql(clause) for clause in where["$and"]]
        return " AND ".join(f"({p})" for p, _ in parts), [v for _, params in parts for v in params]
    if len(where) != 1:
        raise ValueError(f"unsupported filter {where!r}")
    (key, condition), = where.items()
    if key.startswith("$"):
        raise ValueError(f"unsupported filter operator {key!r}")
    if not _KEY.fullmatch(key):
        raise ValueError(f"unsupported filter key {key!r}")
    field = f"(payload->>'{key}')"  # the key inline, so the planner can use the expression indexes
    if isinstance(condition, Mapping):
        (op, value), = condition.items()
        if op == "$eq":
            return f"{field} = %s", [str(value)]
        if op == "$in":
            return f"{field} = ANY(%s)", [[str(v) for v in value]]
        raise ValueError(f"unsupported filter operator {op!r}")
    return f"{field} = %s", [str(condition)]


class PgRows:
    """Direct reads of mem0's pgvector table: by id, by vector, page by page."""

    def __init__(self, pool: Any, collection: str) -> None:
        from psycopg import sql

        self._pool = pool
        self._collection = collection
        self._table = sql.Identifier(collection).as_string(None)

    def count(self) -> int:
        """The table's rows, from the count the server keeps (:mod:`sidecar.store.pg.row_stats`)."""
        with self._pool.connection() as conn:
            return row_stats.count(conn, self._collection)

    @staticmethod
    def may_hold(memory_id: Any) -> bool:
        """Whether ``memory_id`` can name a row at all: mem0's ids here are UUIDs (the column's type)."""
        return _is_uuid(memory_id)

    def rows(self, ids: Sequence[str]) -> list[StoredRow]:
        wanted = [i for i in ids if _is_uuid(i)]  # any other id is simply not there
        if not wanted:
            return []
        with self._pool.connection() as conn:
            found = conn.execute(f"SELECT id::text, payload FROM {self._table} WHERE id = ANY(%s::uuid[])",
                                 (wanted,)).fetchall()
        payloads = dict(found)
        return [StoredRow(i, payloads[i] or {}) for i in ids if i in payloads]

    def scan(self, where: Mapping[str, Any] | None, offset: int, limit: int | None,
             payloads: bool = True) -> list[StoredRow]:
        """One page of rows in id order (``limit=None`` reads to the end)."""
        condition, params = where_sql(where)
        columns = "id::text, payload" if payloads else "id::text, NULL"
        with self._pool.connection() as conn:
            found = conn.execute(f"SELECT {columns} FROM {self._table} WHERE {condition} ORDER BY id "
                                 "LIMIT %s OFFSET %s", (*params, limit, int(offset))).fetchall()
        return [StoredRow(row_id, payload or {}) for row_id, payload in found]

    def nearest(self, vector: Sequence[float], n: int, where: Mapping[str, Any] | None) -> list[ScoredRow]:
        """The ``n`` rows nearest ``vector`` (among those matching ``where``), nearest first.

        Without a filter the HNSW index answers (``ef_search`` raised to ``n``);
        with one the scan is exact, because pgvector's HNSW filters after the
        index and would return fewer than ``n`` rows of a small scope.
        """
        condition, params = where_sql(where)
        order = "vector <=> %s::vector" if where is None else "(vector <=> %s::vector) + 0"
        query = (f"SELECT id::text, payload, vector <=> %s::vector AS d FROM {self._table} "
                 f"WHERE {condition} ORDER BY {order} LIMIT %s")
        literal = _vector(vector)
        with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
            conn.execute(_EF_SEARCH, (_ef_search(n),))
            found = conn.execute(query, (literal, *params, literal, int(n))).fetchall()
        return [ScoredRow(row_id, payload or {}, 2.0 * float(d)) for row_id, payload, d in found]

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """(id, mem0 score) of the ``n`` rows nearest ``vector``, all scopes, through the HNSW index; no payloads
        (a search reads the payloads of only the rows it keeps)."""
        query = (f"SELECT id::text, vector <=> %s::vector AS d FROM {self._table} "
                 "ORDER BY vector <=> %s::vector LIMIT %s")
        literal = _vector(vector)
        with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
            conn.execute(_EF_SEARCH, (_ef_search(n),))
            found = conn.execute(query, (literal, literal, int(n))).fetchall()
        return [(row_id, score_of(2.0 * float(d))) for row_id, d in found]

    def ids_by_hash(self, hashes: Iterable[str], scope: Mapping[str, str]) -> dict[str, str]:
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        condition, params = where_sql(scope_where(scope, {HASH_KEY: {"$in": wanted}}))
        with self._pool.connection() as conn:
            found = conn.execute(f"SELECT id::text, payload->>'hash' FROM {self._table} WHERE {condition}",
                                 params).fetchall()
        return {digest: row_id for row_id, digest in found if digest}


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _ef_search(n: int) -> str:
    return str(min(MAX_EF_SEARCH, max(40, int(n))))


def _vector(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"
