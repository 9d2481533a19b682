"""The tables the server backend keeps in one PostgreSQL database, created once under an advisory lock.

* ``<collection>``: mem0's own pgvector table (``id uuid, vector, payload jsonb``),
  created with mem0's DDL so mem0 finds it, plus expression indexes on the
  scope ids and the text hash that mem0 does not make;
* ``sidecar_keywords``: the keyword channel (a ``tsvector`` column, GIN index);
* ``sidecar_keyword_stats``: the row count and token total of ``sidecar_keywords``
  that BM25 needs (its average length): a trigger appends each write's change as a
  row (no row is ever updated, so writers never wait on each other and a batch does
  not grow one row's version chain), and the readers sum them, folding them into
  one row now and then (:data:`FOLD_STATS`);
* ``sidecar_row_stats``: the row count of each collection table, kept the same way by statement
  triggers on mem0's table (:mod:`sidecar.store.pg.row_stats`): counting 100k rows cost ~8 ms of server
  CPU, summing these a few hundredths;
* ``sidecar_scope_stats``: each scope's number of keyword rows, kept the same way
  (:mod:`sidecar.store.pg.scope_stats`);
* ``sidecar_history``: mem0's history rows (mem0 2.2.1 keeps history only in SQLite);
* ``sidecar_store_meta``: the store's card (which embedder wrote the vectors).
"""

from __future__ import annotations

from typing import Any

from sidecar.store.pg import row_stats, scope_stats

SCHEMA_LOCK = 0x5DECA12  # one advisory key: two daemons starting together do not race on CREATE
KEYWORDS = "sidecar_keywords"
HISTORY = "sidecar_history"
META = "sidecar_store_meta"
KEYWORD_STATS = "sidecar_keyword_stats"
ROW_STATS = row_stats.ROW_STATS
SCOPE_STATS = scope_stats.SCOPE_STATS
OUR_TABLES = (KEYWORDS, HISTORY, META, KEYWORD_STATS, ROW_STATS, SCOPE_STATS)
TOKENS = "sidecar_tsv_tokens"  # SQL function: the number of indexed tokens of a tsvector


def ensure(conn: Any, collection: str, dims: int) -> None:
    """Create whatever is missing (idempotent); ``conn`` is not in a transaction."""
    from psycopg import sql

    table = sql.Identifier(collection)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id UUID PRIMARY KEY, vector vector({}), payload JSONB)")
                     .format(table, sql.Literal(int(dims))))
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw (vector vector_cosine_ops)")
                     .format(sql.Identifier(f"{collection}_hnsw_idx"), table))
        for key in ("user_id", "agent_id", "run_id", "hash"):
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ((payload->>{}))")
                         .format(sql.Identifier(f"{collection}_{key}_idx"), table, sql.Literal(key)))
        row_stats.ensure(conn, collection)
        conn.execute(f"""CREATE TABLE IF NOT EXISTS {KEYWORDS} (
            memory_id TEXT PRIMARY KEY, user_id TEXT, agent_id TEXT, run_id TEXT,
            text TEXT NOT NULL, context TEXT NOT NULL DEFAULT '',
            added BIGINT NOT NULL, touched BIGINT NOT NULL, doclen INTEGER,
            tsv tsvector GENERATED ALWAYS AS
                (setweight(to_tsvector('english', text), 'A') || setweight(to_tsvector('english', context), 'D')) STORED)""")
        conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {KEYWORDS}_seq")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {KEYWORDS}_tsv ON {KEYWORDS} USING gin (tsv)")
        for key in ("user_id", "agent_id", "run_id"):
            conn.execute(f"CREATE INDEX IF NOT EXISTS {KEYWORDS}_{key} ON {KEYWORDS} ({key}, touched)")
        _ensure_keyword_stats(conn)
        scope_stats.ensure(conn, KEYWORDS)
        conn.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY} (
            id TEXT PRIMARY KEY, memory_id TEXT, old_memory TEXT, new_memory TEXT, event TEXT,
            created_at TEXT, updated_at TEXT, is_deleted INTEGER, actor_id TEXT, role TEXT,
            seq BIGSERIAL)""")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {HISTORY}_memory ON {HISTORY} (memory_id, seq)")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value JSONB NOT NULL)")


# The stats rows summed into one: rows visible now are deleted and their sum inserted, in one
# statement, so rows of transactions still open are kept and two folds at once count each row once.
FOLD_STATS = (f"WITH gone AS (DELETE FROM {KEYWORD_STATS} RETURNING docs, tokens) "
              f"INSERT INTO {KEYWORD_STATS} (docs, tokens) SELECT coalesce(sum(docs), 0), coalesce(sum(tokens), 0) "
              "FROM gone")


def _ensure_keyword_stats(conn: Any) -> None:
    """The stats table and its trigger; a table made now starts from the rows already indexed."""
    conn.execute(f"CREATE OR REPLACE FUNCTION {TOKENS}(tsvector) RETURNS bigint LANGUAGE sql IMMUTABLE "
                 "PARALLEL SAFE AS $$ SELECT coalesce(sum(coalesce(cardinality(positions), 1)), 0)::bigint "
                 "FROM unnest($1) $$")
    conn.execute(f"ALTER TABLE {KEYWORDS} ADD COLUMN IF NOT EXISTS doclen INTEGER")  # BM25's document length
    conn.execute(f"UPDATE {KEYWORDS} SET doclen = {TOKENS}(tsv) WHERE doclen IS NULL")
    fresh = conn.execute("SELECT to_regclass(%s) IS NULL", (KEYWORD_STATS,)).fetchone()[0]
    conn.execute(f"CREATE TABLE IF NOT EXISTS {KEYWORD_STATS} (docs BIGINT NOT NULL, tokens BIGINT NOT NULL)")
    if fresh:
        conn.execute(f"INSERT INTO {KEYWORD_STATS} (docs, tokens) "
                     f"SELECT count(*), coalesce(sum(doclen), 0) FROM {KEYWORDS}")
    conn.execute(f"""CREATE OR REPLACE FUNCTION {KEYWORD_STATS}_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE d_docs bigint := 0; d_tokens bigint := 0;
        BEGIN
            IF TG_OP <> 'DELETE' THEN d_docs := 1; d_tokens := coalesce(NEW.doclen, 0); END IF;
            IF TG_OP <> 'INSERT' THEN d_docs := d_docs - 1; d_tokens := d_tokens - coalesce(OLD.doclen, 0); END IF;
            IF d_docs <> 0 OR d_tokens <> 0 THEN
                INSERT INTO {KEYWORD_STATS} (docs, tokens) VALUES (d_docs, d_tokens);
            END IF;
            RETURN NULL;
        END $$""")
    exists = conn.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = to_regclass(%s)",
                          (f"{KEYWORD_STATS}_keep", KEYWORDS)).fetchone()
    if not exists:
        conn.execute(f"CREATE TRIGGER {KEYWORD_STATS}_keep AFTER INSERT OR UPDATE OR DELETE ON {KEYWORDS} "
                     f"FOR EACH ROW EXECUTE FUNCTION {KEYWORD_STATS}_keep()")


def check(conn: Any, collection: str) -> dict[str, Any]:
    """What ``memctl doctor`` reports: server version, the ``vector`` extension, which tables exist."""
    version = conn.execute("SHOW server_version").fetchone()[0]
    ext = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    names = {row[0] for row in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    tables = {name: name in names for name in (collection, *OUR_TABLES)}
    conn.rollback()
    return {"server_version": version, "vector": ext[0] if ext else None, "vector_available": bool(available),
            "tables": tables}
