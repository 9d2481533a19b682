"""The daemon's own SQLite files: a corrupt one set aside, a backup before each schema migration.

Used by the keyword index (``store/keyword.db``, rebuilt from the store) and the
job queue (``ingest/queue.db``); :func:`open_shared` opens the daemon's smaller
tables (the review inbox, the provenance log). Nothing is deleted: a damaged file is renamed
``<name>.corrupt-<timestamp>`` next to where it was, with its ``-wal``/``-shm``
companions, so it can still be inspected or recovered by hand.

A schema migration runs in one SQLite transaction that also sets
``PRAGMA user_version``, so a crash leaves the old schema or the new one, never
half of each; the copy taken before it (``<name>.v<old>-backup-<timestamp>``) is for
a migration that completes but turns out wrong.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("sidecar.files")

COMPANIONS = ("-wal", "-shm", "-journal")


def stamp() -> str:
    """A timestamp for file names: UTC, sortable, unique to the millisecond."""
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}Z"


def set_aside(path: Path, reason: str) -> Path:
    """Rename ``path`` (and its -wal/-shm/-journal) to ``<path>.corrupt-<stamp>``; log one line; return the new name."""
    target = path.with_name(f"{path.name}.corrupt-{stamp()}")
    for suffix in ("", *COMPANIONS):
        source = path.with_name(path.name + suffix)
        if source.exists() or source.is_symlink():
            os.replace(source, target.with_name(target.name + suffix))
    log.warning("%s is damaged (%s): kept as %s, starting a new one", path, " ".join(reason.split()), target.name)
    return target


def check_readable(conn: sqlite3.Connection) -> None:
    """Raise :class:`sqlite3.DatabaseError` unless SQLite's quick check passes."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if [tuple(row) for row in rows] != [("ok",)]:
        detail = "; ".join(str(row[0]) for row in rows[:3])
        raise sqlite3.DatabaseError(f"quick_check failed: {detail}")


def backup_copy(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """A consistent copy of the open database ``conn`` (at ``path``) before migrating from ``version``."""
    target = path.with_name(f"{path.name}.v{version}-backup-{stamp()}")
    partial = target.with_name(target.name + ".partial")
    copy = sqlite3.connect(str(partial))
    try:
        conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    log.info("backed up %s (schema version %d) to %s before migrating it", path, version, target.name)
    return target


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def open_shared(path: Path, schema: str) -> sqlite3.Connection:
    """``path`` opened for one connection shared by threads under the caller's lock, with ``schema`` applied.

    Autocommit (transactions are the caller's ``BEGIN``), rows by column name, WAL journal;
    the parent folder is made if missing.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


@contextmanager
def migration(conn: sqlite3.Connection, schema: str, version: int) -> Iterator[None]:
    """One transaction: ``schema``'s statements, the caller's steps, then ``PRAGMA user_version=version``.

    All of it or none: an exception rolls back and is raised again. ``schema``'s statements
    run one by one (``executescript`` would commit).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in filter(None, (s.strip() for s in schema.split(";"))):
            conn.execute(statement)
        yield
        conn.execute(f"PRAGMA user_version={int(version)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
