"""The keyword index's SQLite schema: creation, version, migrations (backed up first).

Versions (``PRAGMA user_version``):

* 0: made before versions were stamped; the oldest such files lack ``touched``;
* 1: ``keyword_rows.touched`` keeps the write order; the FTS table's tokenizer is
  recorded in ``keyword_meta``;
* 2: ``keyword_df`` keeps each term's document frequency (:mod:`sidecar.store.keyword_df`),
  counted from FTS5's vocabulary when it is made.

Each migration (and a rebuild of the FTS table for another tokenizer) runs in one
transaction with the new ``user_version``, after a backup copy of the file. The
index is derived data: a file that fails SQLite's quick check, or has a version
newer than this code, is set aside by :class:`~sidecar.store.keyword.KeywordIndex`
and rebuilt from the store.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sidecar.sqlite_files import backup_copy, check_readable, has_table, migration, user_version
from sidecar.store import keyword_df

log = logging.getLogger("sidecar.store.keyword")

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keyword_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keyword_rows (
    rowid INTEGER PRIMARY KEY,
    memory_id TEXT NOT NULL UNIQUE,
    user_id TEXT,
    agent_id TEXT,
    run_id TEXT,
    touched INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS keyword_rows_user ON keyword_rows(user_id);
CREATE INDEX IF NOT EXISTS keyword_rows_agent ON keyword_rows(agent_id);
CREATE INDEX IF NOT EXISTS keyword_rows_run ON keyword_rows(run_id);
""" + keyword_df.SCHEMA


def prepare(conn: sqlite3.Connection, path: Path, tokenizer: str) -> None:
    """Check ``conn``'s file and bring it to :data:`SCHEMA_VERSION` with ``tokenizer``.

    ``conn`` has :func:`keyword_df.attach`'s temp tables (the document frequencies are counted with them).
    Raises :class:`sqlite3.DatabaseError` for a damaged file or one newer than this code.
    """
    check_readable(conn)
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {version} is newer than this daemon's {SCHEMA_VERSION}")
    existing = has_table(conn, "keyword_rows")
    recorded = _recorded_tokenizer(conn) if existing else None
    fts_exists = has_table(conn, "keyword_fts")
    df_exists = has_table(conn, "keyword_df")
    if existing and (version < SCHEMA_VERSION or (fts_exists and recorded != tokenizer)):
        backup_copy(conn, path, version)
    with migration(conn, _SCHEMA, SCHEMA_VERSION):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(keyword_rows)")}
        if "touched" not in columns:  # an index made before rows kept their write order
            conn.execute("ALTER TABLE keyword_rows ADD COLUMN touched INTEGER NOT NULL DEFAULT 0")
            conn.execute("UPDATE keyword_rows SET touched = rowid")
        conn.execute("CREATE INDEX IF NOT EXISTS keyword_rows_touched ON keyword_rows(touched)")
        if not fts_exists:
            create_fts(conn, "keyword_fts", tokenizer)
        elif recorded != tokenizer:
            _retokenize(conn, tokenizer)
        if not df_exists or (fts_exists and recorded != tokenizer):
            keyword_df.rebuild(conn)
        conn.execute("INSERT OR REPLACE INTO keyword_meta(key, value) VALUES('tokenizer', ?)", (tokenizer,))
    if existing and version < SCHEMA_VERSION:
        log.info("migrated %s from schema version %d to %d", path, version, SCHEMA_VERSION)


def _recorded_tokenizer(conn: sqlite3.Connection) -> str | None:
    if not has_table(conn, "keyword_meta"):
        return None
    row = conn.execute("SELECT value FROM keyword_meta WHERE key='tokenizer'").fetchone()
    return row[0] if row else None


def create_fts(conn: sqlite3.Connection, name: str, tokenizer: str) -> None:
    conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(text, context, tokenize='{tokenizer}')")


def _retokenize(conn: sqlite3.Connection, tokenizer: str) -> None:
    """Rebuild the FTS table when the tokenizer setting changed since it was made."""
    create_fts(conn, "keyword_fts_new", tokenizer)
    conn.execute("INSERT INTO keyword_fts_new(rowid, text, context) SELECT rowid, text, context FROM keyword_fts")
    conn.execute("DROP TABLE keyword_fts")
    conn.execute("ALTER TABLE keyword_fts_new RENAME TO keyword_fts")
