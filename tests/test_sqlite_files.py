"""The shared SQLite helpers: a shared connection's setup, and a migration that is all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sidecar.sqlite_files import has_table, migration, open_shared, user_version

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT);\nCREATE INDEX IF NOT EXISTS notes_text ON notes (text)"


def test_open_shared_makes_the_folder_and_a_wal_file_with_rows_by_name(tmp_path: Path) -> None:
    db = open_shared(tmp_path / "deep" / "er" / "notes.db", SCHEMA)
    try:
        db.execute("INSERT INTO notes (text) VALUES ('kept')")  # autocommit: visible to another connection
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT text FROM notes").fetchone()["text"] == "kept"
        other = sqlite3.connect(str(tmp_path / "deep" / "er" / "notes.db"))
        assert other.execute("SELECT count(*) FROM notes").fetchone()[0] == 1
        other.close()
    finally:
        db.close()


def test_a_migration_applies_schema_steps_and_version_together(tmp_path: Path) -> None:
    db = sqlite3.connect(str(tmp_path / "m.db"), isolation_level=None)
    with migration(db, SCHEMA, 3):
        db.execute("INSERT INTO notes (text) VALUES ('step')")
    assert user_version(db) == 3 and db.execute("SELECT count(*) FROM notes").fetchone()[0] == 1
    db.close()


def test_a_failed_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    db = sqlite3.connect(str(tmp_path / "m.db"), isolation_level=None)
    with pytest.raises(RuntimeError, match="step failed"):
        with migration(db, SCHEMA, 3):
            db.execute("INSERT INTO notes (text) VALUES ('step')")
            raise RuntimeError("step failed")
    assert user_version(db) == 0 and not has_table(db, "notes") and not db.in_transaction
    db.close()
