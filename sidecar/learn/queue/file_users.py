"""Whose transcript is it: the user a hook named when it asked for a file's ingestion.

A hook reads context for ``$SIDECAR_USER`` and nudges ``ingest`` with that user; the
facts the gate learns from that file then land under the same user, not under the
daemon's default. Files no hook named keep the daemon's user. One small SQLite table,
opened per call (the gate asks once per job, the ingest op once per file).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = "CREATE TABLE IF NOT EXISTS file_users (path TEXT PRIMARY KEY, user_id TEXT NOT NULL)"


class FileUsers:
    """``path → user_id`` for transcripts whose user a client named."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)

    def set(self, transcript: str, user_id: str) -> None:
        """Learn ``transcript``'s facts as ``user_id`` from now on (the latest naming wins)."""
        db = self._connect()
        try:
            db.execute("INSERT INTO file_users (path, user_id) VALUES (?, ?) "
                       "ON CONFLICT(path) DO UPDATE SET user_id=excluded.user_id", (transcript, user_id))
        finally:
            db.close()

    def user_for(self, transcript: str) -> str | None:
        """The user named for ``transcript``, or None (then the daemon's user learns it)."""
        db = self._connect()
        try:
            row = db.execute("SELECT user_id FROM file_users WHERE path=?", (transcript,)).fetchone()
        finally:
            db.close()
        return str(row[0]) if row else None
