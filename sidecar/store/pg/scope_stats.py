"""Each scope's number of keyword rows, kept by the server: what the dense channel asks every few seconds.

Counting a scope's rows through its index costs ~8 ms of server CPU at 100k rows
(2026-11-30). As for the table's count (:mod:`sidecar.store.pg.row_stats`), statement
triggers on ``sidecar_keywords`` append each write's change per scope (user, agent, run)
to ``sidecar_scope_stats`` (never an update, so writers do not wait on each other), and a
count sums the rows of the scope asked for, folding them into one row per scope now and
then. Exact: the rows are written in the writing transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.store.keyword_rows import scope_conditions

SCOPE_STATS = "sidecar_scope_stats"
FOLD_AFTER = 500  # stats rows a count sums before it folds them
_SCOPE = "user_id, agent_id, run_id"

# Rows changed by one statement, as (+1 per new row, -1 per old row) per scope; nothing for a scope whose
# count did not change (an update that keeps the scope).
_CHANGES = {
    "added": ("AFTER INSERT", "NEW TABLE AS new_rows", f"SELECT {_SCOPE}, 1 AS n FROM new_rows"),
    "removed": ("AFTER DELETE", "OLD TABLE AS old_rows", f"SELECT {_SCOPE}, -1 AS n FROM old_rows"),
    "moved": ("AFTER UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
              f"SELECT {_SCOPE}, 1 AS n FROM new_rows UNION ALL SELECT {_SCOPE}, -1 FROM old_rows"),
}
_FOLD = (f"WITH gone AS (DELETE FROM {SCOPE_STATS} RETURNING {_SCOPE}, n) "
         f"INSERT INTO {SCOPE_STATS} ({_SCOPE}, n) SELECT {_SCOPE}, sum(n) FROM gone GROUP BY {_SCOPE} "
         "HAVING sum(n) <> 0")


def ensure(conn: Any, keywords: str) -> None:
    """The table, its functions and triggers on ``keywords`` (in the caller's transaction, under the schema
    lock); a keyword table without them yet starts from its rows counted now."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {SCOPE_STATS} (user_id TEXT, agent_id TEXT, run_id TEXT, "
                 "n BIGINT NOT NULL)")
    for name, (_, _, changed) in _CHANGES.items():
        conn.execute(f"CREATE OR REPLACE FUNCTION {SCOPE_STATS}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     f"BEGIN INSERT INTO {SCOPE_STATS} ({_SCOPE}, n) SELECT {_SCOPE}, sum(n) FROM ({changed}) AS c "
                     f"GROUP BY {_SCOPE} HAVING sum(n) <> 0; RETURN NULL; END $$")
    present = {row[0] for row in conn.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s)",
                                              (keywords,))}
    wanted = {f"{SCOPE_STATS}_{name}" for name in _CHANGES}
    if wanted <= present:
        return
    conn.execute(f"LOCK TABLE {keywords} IN SHARE ROW EXCLUSIVE MODE")  # no write between the count and triggers
    for name in wanted & present:
        conn.execute(f"DROP TRIGGER {name} ON {keywords}")
    conn.execute(f"DELETE FROM {SCOPE_STATS}")
    conn.execute(f"INSERT INTO {SCOPE_STATS} ({_SCOPE}, n) SELECT {_SCOPE}, count(*) FROM {keywords} "
                 f"GROUP BY {_SCOPE}")
    for name, (event, tables, _) in _CHANGES.items():
        conn.execute(f"CREATE TRIGGER {SCOPE_STATS}_{name} {event} ON {keywords} REFERENCING {tables} "
                     f"FOR EACH STATEMENT EXECUTE FUNCTION {SCOPE_STATS}_{name}()")


def count(conn: Any, filters: Mapping[str, str]) -> int:
    """Keyword rows of the scope ``filters`` as this transaction sees them (folds the stats rows when they are
    many and at least twice the scopes they count: a folded table keeps one row per scope)."""
    where, params = scope_conditions(filters, "{} = %s")
    rows, parts, scopes = conn.execute(
        f"SELECT coalesce(sum(n) FILTER (WHERE {where}), 0), count(*), count(DISTINCT ({_SCOPE})) "
        f"FROM {SCOPE_STATS}", params).fetchone()
    if parts > FOLD_AFTER and parts >= 2 * scopes:
        conn.execute(_FOLD)
    return int(rows)
