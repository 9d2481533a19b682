"""Opening ``queue.db``: its schema version, migrations (backed up first), and a damaged file set aside.

Versions (``PRAGMA user_version``):

* 0: the first schema (no version stamped); jobs kept their text after they were done;
* 2: ``jobs.failures`` counts the failed judge/reconciler attempts (the dead-letter
  bound), finished jobs keep no text, and the file is opened with ``secure_delete``.

A file that is not a database, or fails SQLite's quick check, is renamed
``queue.db.corrupt-<stamp>`` and a new, empty queue starts: the transcripts are then
read again from their start, and the gate skips every utterance whose facts the
provenance log shows were applied (see :mod:`sidecar.learn.apply.gate_worker`).
A file of a newer version than this daemon knows is refused, never rewritten.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sidecar.learn.queue.records import _SCHEMA, DONE
from sidecar.process.startup import StartupError
from sidecar.sqlite_files import backup_copy, check_readable, has_table, migration, set_aside, user_version

log = logging.getLogger("sidecar.queue")

SCHEMA_VERSION = 2


def connect(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """The open, checked, current-version queue at ``path``, and the name a damaged file was kept under."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path), None
    except sqlite3.DatabaseError as exc:
        kept = set_aside(path, str(exc))
        return _open(path), kept.name


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")  # a deleted or shortened text is overwritten with zeros
        check_readable(db)
        _migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = user_version(db)
    if version > SCHEMA_VERSION:
        raise StartupError(f"{path} has schema version {version}, newer than this daemon's {SCHEMA_VERSION}: "
                           "run the newer version, or stop the daemon and move the file away (the transcripts "
                           "are then read again)")
    if version == SCHEMA_VERSION:
        return
    legacy = has_table(db, "jobs")
    if legacy:
        backup_copy(db, path, version)
    with migration(db, _SCHEMA, SCHEMA_VERSION):
        if legacy:
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            if "failures" not in columns:
                db.execute("ALTER TABLE jobs ADD COLUMN failures INTEGER NOT NULL DEFAULT 0")
            db.execute("UPDATE jobs SET text='', context='' WHERE status=?", (DONE,))
    if legacy:
        db.execute("VACUUM")  # the texts of finished jobs leave the file's free pages too
        log.info("migrated %s from schema version %d to %d", path, version, SCHEMA_VERSION)
