"""The row count of mem0's collection table, kept by the server so that no read has to count the table.

``count(*)`` over 100k rows of mem0's table costs ~8 ms of server CPU (2026-11-30), and the
dense channel asks for it every few seconds. So, as for the keyword statistics
(:data:`~sidecar.store.pg.schema.KEYWORD_STATS`), statement triggers on the table append
each write's change of the row count to ``sidecar_row_stats`` (a row per statement, never an
update: writers do not wait on each other), a count sums them and folds them into one
row now and then. The sum is exact: the rows are written in the writing transaction, so
every snapshot sees the count of the rows it sees. Rows removed by ``TRUNCATE`` reset it.
"""

from __future__ import annotations

from typing import Any

ROW_STATS = "sidecar_row_stats"
FOLD_AFTER = 500  # stats rows a count sums before it folds them into one

_FUNCTIONS = {
    "added": "INSERT INTO {stats} (collection, n) SELECT TG_TABLE_NAME, count(*) FROM changed HAVING count(*) > 0",
    "removed": "INSERT INTO {stats} (collection, n) SELECT TG_TABLE_NAME, -count(*) FROM changed "
               "HAVING count(*) > 0",
    "cleared": "DELETE FROM {stats} WHERE collection = TG_TABLE_NAME",
}
# The rows of one collection visible now are deleted and their sum inserted, in one statement (rows of
# transactions still open are kept; two folds at once count each row once).
_FOLD = (f"WITH gone AS (DELETE FROM {ROW_STATS} WHERE collection = %s RETURNING n) "
         f"INSERT INTO {ROW_STATS} (collection, n) SELECT %s, coalesce(sum(n), 0) FROM gone")
_COUNT = f"SELECT coalesce(sum(n), 0), count(*) FROM {ROW_STATS} WHERE collection = %s"


def ensure(conn: Any, collection: str) -> None:
    """The stats table, its functions and the collection's triggers (in the caller's transaction, which
    holds the schema lock). A collection without the triggers yet starts from its rows counted now."""
    from psycopg import sql

    table = sql.Identifier(collection)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {ROW_STATS} (collection TEXT NOT NULL, n BIGINT NOT NULL)")
    conn.execute(f"CREATE INDEX IF NOT EXISTS {ROW_STATS}_collection ON {ROW_STATS} (collection)")
    for name, body in _FUNCTIONS.items():
        conn.execute(f"CREATE OR REPLACE FUNCTION {ROW_STATS}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     f"BEGIN {body.format(stats=ROW_STATS)}; RETURN NULL; END $$")
    present = {row[0] for row in conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s)", (table.as_string(conn),))}
    wanted = {f"{ROW_STATS}_added": "AFTER INSERT ON {} REFERENCING NEW TABLE AS changed FOR EACH STATEMENT",
              f"{ROW_STATS}_removed": "AFTER DELETE ON {} REFERENCING OLD TABLE AS changed FOR EACH STATEMENT",
              f"{ROW_STATS}_cleared": "AFTER TRUNCATE ON {} FOR EACH STATEMENT"}
    if set(wanted) <= present:
        return
    # no write between the count and the triggers
    conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(table))
    for name in set(wanted) & present:
        conn.execute(sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(name), table))
    conn.execute(f"DELETE FROM {ROW_STATS} WHERE collection = %s", (collection,))
    conn.execute(sql.SQL("INSERT INTO {} (collection, n) SELECT {}, count(*) FROM {}")
                 .format(sql.Identifier(ROW_STATS), sql.Literal(collection), table))
    for name, event in wanted.items():  # each trigger runs the function of its name
        conn.execute(sql.SQL(f"CREATE TRIGGER {{}} {event} EXECUTE FUNCTION {{}}()")
                     .format(sql.Identifier(name), table, sql.Identifier(name)))


def count(conn: Any, collection: str) -> int:
    """The collection's rows as this transaction sees them (folds the stats rows when there are many)."""
    rows, parts = conn.execute(_COUNT, (collection,)).fetchone()
    if parts > FOLD_AFTER:
        conn.execute(_FOLD, (collection, collection))
    return int(rows)
