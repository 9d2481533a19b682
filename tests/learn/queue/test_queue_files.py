"""Opening queue.db: a damaged file set aside, an old schema migrated after a backup, a newer one refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sidecar.learn.queue.job_queue import JobQueue
from sidecar.learn.queue.schema import SCHEMA_VERSION
from sidecar.process.startup import StartupError
from sidecar_shared import exitcodes

# the schema of the first release (no user_version, no failures column)
V0_SCHEMA = """
CREATE TABLE files (path TEXT PRIMARY KEY, agent TEXT NOT NULL, inode INTEGER, offset INTEGER NOT NULL DEFAULT 0,
    line INTEGER NOT NULL DEFAULT 1, size INTEGER NOT NULL DEFAULT 0, mtime_ns INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT '{}', last_turn TEXT NOT NULL DEFAULT '', records INTEGER NOT NULL DEFAULT 0,
    candidates INTEGER NOT NULL DEFAULT 0, corrupt INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL);
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, message_key TEXT UNIQUE,
    source TEXT NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL, agent TEXT NOT NULL, session_id TEXT,
    cwd TEXT, role TEXT NOT NULL, text TEXT NOT NULL, context TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL DEFAULT 0,
    error TEXT, results TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL);
"""
OLD_SECRET = "old-done-job-secret-7HqPz"


def make_v0(path: Path) -> None:
    db = sqlite3.connect(str(path))
    db.executescript(V0_SCHEMA)
    db.execute("INSERT INTO files (path, agent, offset, updated_at) VALUES ('/t/a.jsonl', 'codex', 500, 1)")
    for n, (text, status) in enumerate([(f"I use {OLD_SECRET}", "done"), ("I keep bees", "pending")]):
        db.execute("INSERT INTO jobs (key, source, line, offset, agent, role, text, status, created_at, updated_at) "
                   "VALUES (?, '/t/a.jsonl', ?, ?, 'codex', 'user', ?, ?, 1, 1)", (f"k{n}", n + 1, n * 10, text, status))
    db.commit()
    db.close()


def test_a_v0_queue_is_backed_up_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    make_v0(path)
    queue = JobQueue(path)
    try:
        (backup,) = tmp_path.glob("queue.db.v0-backup-*")
        assert sqlite3.connect(str(backup)).execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 2
        with queue.reading() as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert [tuple(r) for r in db.execute("SELECT text, failures FROM jobs ORDER BY id")] == [
                ("", 0), ("I keep bees", 0)]
        assert queue.cursor("/t/a.jsonl").offset == 500  # the cursors survive
        job = queue.claim()
        assert job.text == "I keep bees" and job.failures == 0
    finally:
        queue.close()
    # the text of the finished job is gone from the file itself, not only from the table
    assert OLD_SECRET.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("queue.db*") if p != backup)


def test_a_current_queue_is_not_backed_up_again(tmp_path: Path) -> None:
    JobQueue(tmp_path / "queue.db").close()
    JobQueue(tmp_path / "queue.db").close()
    assert not list(tmp_path.glob("*backup*"))


@pytest.mark.parametrize("damage", ["zeroed", "garbage", "truncated"])
def test_a_damaged_queue_is_set_aside_and_a_new_one_starts(tmp_path: Path, damage: str, caplog) -> None:
    path = tmp_path / "queue.db"
    make_v0(path)
    JobQueue(path).close()
    size = path.stat().st_size
    if damage == "zeroed":
        path.write_bytes(b"\0" * size)
    elif damage == "garbage":
        path.write_bytes(b"this is not a database " * 200)
    else:
        path.write_bytes(path.read_bytes()[: size // 2])
    damaged = path.read_bytes()
    queue = JobQueue(path)
    try:
        assert queue.recovered_from is not None and queue.recovered_from.startswith("queue.db.corrupt-")
        assert (tmp_path / queue.recovered_from).read_bytes() == damaged  # kept as it was
        assert queue.counts()["pending"] == 0 and queue.cursor("/t/a.jsonl") is None
        assert any("damaged" in r.getMessage() and queue.recovered_from in r.getMessage() for r in caplog.records)
    finally:
        queue.close()


def test_a_queue_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    db = sqlite3.connect(str(path))
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StartupError) as caught:
        JobQueue(path)
    assert caught.value.exit_code == exitcodes.CONFIG and "newer" in str(caught.value)
    version = sqlite3.connect(str(path)).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION + 1 and not list(tmp_path.glob("*corrupt*")) and not list(tmp_path.glob("*backup*"))
