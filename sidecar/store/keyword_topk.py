"""The keyword channel's top-k pass: BM25 ranking that does not score every matching row.

FTS5 computes ``bm25()`` for every row the MATCH expression selects before it can sort
them (~2.4 µs a row here), so on a large store a query holding a common word ("like",
"feel") scores tens of thousands of rows: 22 ms mean, 51 ms p95 at 100k memories of
realistic text, against 0.4 ms at 1k. Walking a doclist without scoring is ~50x cheaper.

So, in the spirit of MaxScore: each term's document frequency is read first (kept by
every write in ``keyword_df``, see :mod:`sidecar.store.keyword_df`; a prefix or multi-token
phrase is counted, a walk of its doclist without scoring). When the rows matching any term
are at most ``budget``, or the rows of the searched scope matching any term (counted, not
scored, up to the budget; not counted when the scope's size alone settles it) are, the
query runs exactly as before: every store up to ``budget`` memories,
and every scope with few matches in a store of many users, ranks exactly as it did. Otherwise the rarest terms whose
documents fit the budget together are the *essential* terms: only rows matching one of
them are candidates, scored by FTS5's BM25 over those terms, which is exact for that
part of the score. The candidates holding any remaining (common, low-IDF) term are then
scored again, in one query, by FTS5's BM25 over ``(essential) AND (common...)``: that is
each such row's exact score over every phrase it holds, and FTS5 scores only the rows that
expression selects (at most the candidates). A row holding only common terms
is not a candidate: its score is bounded by the sum of those terms' low IDFs. When even
the rarest term has more than ``budget`` rows, its newest ``budget`` rows are the
candidates. Candidates are scored without their memory ids; only the best are looked up
(and checked against the scope) in ``keyword_rows``, a chunk at a time.

An exact query over one scope of a store shared by several scopes weighs its terms by
their rarity in that scope (:mod:`sidecar.store.keyword_scope_idf`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sidecar.store import keyword_scope_idf

BM25_K1, BM25_B = 1.2, 0.75  # FTS5's constants
DEFAULT_BUDGET = 1500  # matching rows scored with bm25() in one search (~4 ms here)
NEGLIGIBLE = 1e-3  # a common term whose largest share of a score is below this is left out of the rescoring
LOOKUP_CHUNK = 1  # best candidates looked up in keyword_rows at once, in multiples of the limit

Frequencies = Callable[[list[str]], list[int]]  # rows matching each FTS5 phrase
ScopeRows = Callable[[], tuple[int, int]]  # (rows in the searched scope, rows in all)


@dataclass(frozen=True)
class Plan:
    """How one query is answered: ``essential`` phrases score candidates, ``common`` ones only add a bonus."""

    exact: bool
    essential: tuple[str, ...]
    common: tuple[tuple[str, int], ...]  # (phrase, document frequency)
    newest_only: bool  # candidates are the newest ``budget`` rows of the rarest phrase


def totals(conn: sqlite3.Connection) -> tuple[int, float]:
    """FTS5's own row count and average document length in tokens (its averages record, no scan)."""
    row = conn.execute("SELECT block FROM keyword_fts_data WHERE id = 1").fetchone()
    values = _varints(bytes(row[0])) if row is not None and row[0] else []
    if not values or values[0] <= 0:
        return 0, 1.0
    return values[0], max(1e-9, sum(values[1:]) / values[0])


def _varints(data: bytes) -> list[int]:
    """The SQLite varints of ``data`` (big-endian 7-bit groups; a 9th byte carries 8 bits)."""
    if max(data, default=0) < 0x80:  # every value below 128 (a row's column sizes, mostly): one byte each
        return list(data)
    out: list[int] = []
    value = length = 0
    for byte in data:
        length += 1
        if length == 9:
            out.append((value << 8) | byte)
            value = length = 0
            continue
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            out.append(value)
            value = length = 0
    return out


def counted(conn: sqlite3.Connection, phrases: list[str]) -> list[int]:
    """Rows matching each phrase, each doclist walked (what a :data:`Frequencies` without kept counts does)."""
    return [conn.execute("SELECT count(*) FROM keyword_fts WHERE keyword_fts MATCH ?", (p,)).fetchone()[0]
            for p in phrases]


def plan(conn: sqlite3.Connection, phrases: Sequence[str], budget: int, where: str = "",
         params: Sequence[str] = (), *, frequencies: Frequencies | None = None,
         scope_rows: ScopeRows | None = None) -> Plan:
    """Choose the essential phrases of a query (see the module docstring); with a scope (``where`` over
    ``keyword_rows r``), a query whose rows in that scope fit the budget is answered exactly too.
    ``frequencies`` gives each phrase's document count (counted if None); ``scope_rows``, when given, lets
    the scope's size settle whether its matches fit the budget before they are counted."""
    if totals(conn)[0] <= budget:
        return Plan(True, tuple(phrases), (), False)
    found = (frequencies or (lambda ps: counted(conn, ps)))(list(phrases))
    counts = sorted((n, i, p) for i, (p, n) in enumerate(zip(phrases, found)) if n > 0)
    if sum(n for n, _, _ in counts) <= budget or (where and _scope_fits(conn, counts, where, params, budget,
                                                                        scope_rows)):
        return Plan(True, tuple(p for _, _, p in counts), (), False)
    essential: list[str] = []
    used = 0
    for n, _, p in counts:
        if used + n > budget:
            break
        essential.append(p)
        used += n
    newest_only = not essential
    if newest_only:
        essential = [counts[0][2]]
    common = tuple((p, n) for n, _, p in counts if p not in essential)
    return Plan(False, tuple(essential), common, newest_only)


def largest_share(frequency: int, rows: int) -> float:
    """The most one occurrence of a term (``frequency`` documents of ``rows``) adds to a row's BM25: in the
    text column (weight 1) of a row far shorter than the average."""
    return keyword_scope_idf.idf(rows, frequency) * (BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B))


def ranked(conn: sqlite3.Connection, phrases: Sequence[str], where: str, params: Sequence[str], *,
           limit: int, context_weight: float, budget: int = DEFAULT_BUDGET, frequencies: Frequencies | None = None,
           scope_rows: ScopeRows | None = None) -> list[tuple[str, float]]:
    """Best ``limit`` (memory id, relevance) of the scope ``where`` (over ``keyword_rows r``) for ``phrases``
    (FTS5 phrases, joined with OR), higher is better; exact BM25 whenever the matching rows fit ``budget``."""
    if not phrases or limit <= 0:
        return []
    chosen = plan(conn, phrases, budget, where, params, frequencies=frequencies, scope_rows=scope_rows)
    if not chosen.essential:
        return []
    match = " OR ".join(chosen.essential)
    if chosen.exact and scope_rows is not None:
        inside, everywhere = scope_rows()
        if inside < everywhere:  # a scope of a shared store: the scope's own term weights
            return keyword_scope_idf.ranked(
                conn, chosen.essential, (frequencies or (lambda ps: counted(conn, ps)))(list(chosen.essential)),
                where, params, scope_rows=inside, all_rows=totals(conn)[0], limit=limit,
                context_weight=context_weight)
    if chosen.exact:
        rows = conn.execute(
            "SELECT r.memory_id, -bm25(keyword_fts, 1.0, ?) AS relevance "
            "FROM keyword_fts JOIN keyword_rows r ON r.rowid = keyword_fts.rowid "
            f"WHERE keyword_fts MATCH ? AND {where} ORDER BY relevance DESC LIMIT ?",
            (context_weight, match, *params, int(limit))).fetchall()
        return [(memory_id, float(score)) for memory_id, score in rows]
    newest = f"ORDER BY rowid DESC LIMIT {int(budget)}" if chosen.newest_only else ""
    # No join here: looking each candidate up in keyword_rows cost as much as a third of its scoring.
    scores = dict(conn.execute(
        f"SELECT rowid, -bm25(keyword_fts, 1.0, ?) FROM keyword_fts WHERE keyword_fts MATCH ? {newest}",
        (context_weight, match)).fetchall())
    rows = totals(conn)[0]
    common = [phrase for phrase, frequency in chosen.common
              if largest_share(frequency, rows) >= NEGLIGIBLE] if scores else []
    if common:
        # Whole scores rather than a bonus per term and row (a rowid query per term, each row's length read):
        # the keyword pass at 100k went from 3.2 to 2.7 ms mean CPU, p95 5.5 to 4.1 (400 LoCoMo questions,
        # 2026-12-01), and a row holding a common term twice now scores exactly. rowid >= the lowest candidate
        # keeps a newest-only search from scoring the older rows.
        rescored = conn.execute(
            "SELECT rowid, -bm25(keyword_fts, 1.0, ?) FROM keyword_fts WHERE keyword_fts MATCH ? AND rowid >= ?",
            (context_weight, f"({match}) AND ({' OR '.join(common)})", min(scores)))
        for rowid, score in rescored:
            if rowid in scores:
                scores[rowid] = score
    return _best_in_scope(conn, scores, where, params, limit)


def _best_in_scope(conn: sqlite3.Connection, scores: dict[int, float], where: str, params: Sequence[str],
                   limit: int) -> list[tuple[str, float]]:
    """The ``limit`` best scored rows that are in the scope, as (memory id, score), best first."""
    order = sorted(scores, key=scores.__getitem__, reverse=True)
    out: list[tuple[str, float]] = []
    step = max(1, limit * LOOKUP_CHUNK)
    for start in range(0, len(order), step):
        chunk = order[start:start + step]
        marks = ",".join("?" * len(chunk))
        # NOT INDEXED: found by rowid; through a scope column's index each row is looked up twice
        ids = dict(conn.execute(f"SELECT r.rowid, r.memory_id FROM keyword_rows AS r NOT INDEXED "
                                f"WHERE r.rowid IN ({marks}) AND {where}", (*chunk, *params)).fetchall())
        out.extend((ids[rowid], scores[rowid]) for rowid in chunk if rowid in ids)
        if len(out) >= limit:
            break
    return out[:limit]


def _scope_fits(conn: sqlite3.Connection, counts: list[tuple[int, int, str]], where: str, params: Sequence[str],
                budget: int, scope_rows: ScopeRows | None) -> bool:
    """Whether the scope's rows matching any phrase fit ``budget``, counting them only when its size can't tell."""
    if scope_rows is not None:
        inside, everywhere = scope_rows()
        if inside <= budget:
            return True
        if counts[-1][0] - max(0, everywhere - inside) > budget:
            return False  # even if every row outside the scope held the commonest term, too many inside do
        if inside >= everywhere:  # the whole store: no row needs looking up (the plan: 1.2 -> 0.25 ms at 100k)
            where, params = "", ()
    return _in_scope(conn, [p for _, _, p in counts], where, params, budget) <= budget


def _in_scope(conn: sqlite3.Connection, phrases: list[str], where: str, params: Sequence[str], budget: int) -> int:
    """Rows of the scope (all rows if ``where`` is empty) matching any phrase, counted up to ``budget + 1``
    (no scoring)."""
    if not phrases:
        return 0
    if not where:
        return conn.execute("SELECT count(*) FROM (SELECT 1 FROM keyword_fts WHERE keyword_fts MATCH ? LIMIT ?)",
                            (" OR ".join(phrases), budget + 1)).fetchone()[0]
    return conn.execute(
        # CROSS JOIN keeps FTS5 the outer loop (probing FTS5 once per scope row would re-run the MATCH each time).
        "SELECT count(*) FROM (SELECT 1 FROM keyword_fts CROSS JOIN keyword_rows r ON r.rowid = keyword_fts.rowid "
        f"WHERE keyword_fts MATCH ? AND {where} LIMIT ?)",
        (" OR ".join(phrases), *params, budget + 1)).fetchone()[0]
