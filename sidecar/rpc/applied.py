"""Recently applied writes, on disk, so a write resent after a restart is not applied twice.

Each completed write records its request id, the digest of the request and (if
small) its reply in ``requests.db`` in the data dir, before the reply is sent.
A worker consults it before running a write: the same id and digest get the
stored reply (or ``already_applied`` when the reply was too large to keep), the
same id with another request gets ``id_reused``. Bounded by rows and by bytes.

The file is a cache of ids, not memories: if it cannot be opened it is moved
aside and started afresh, with a log line.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("sidecar.rpc.applied")

MAX_ROWS = 20_000
MAX_REPLY_BYTES = 64 << 10   # larger replies are remembered by digest only
MAX_TOTAL_BYTES = 32 << 20   # replies kept in all
PRUNE_EVERY = 256            # records between two prunes

SCHEMA = """
CREATE TABLE IF NOT EXISTS applied (
    id     TEXT PRIMARY KEY,
    digest BLOB NOT NULL,
    op     TEXT NOT NULL,
    at     REAL NOT NULL,
    reply  BLOB
);
"""


class AppliedWrites:
    """A small SQLite table of (request id → digest, reply); safe to use from any thread."""

    def __init__(self, path: Path, *, max_rows: int = MAX_ROWS, max_reply_bytes: int = MAX_REPLY_BYTES,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.path = path
        self.max_rows = max_rows
        self.max_reply_bytes = max_reply_bytes
        self.max_total_bytes = max_total_bytes
        self._lock = threading.Lock()
        self._since_prune = 0
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("%s cannot be read (%s); moved to %s and started afresh", self.path, exc, aside.name)
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    source.replace(Path(f"{aside}{suffix}"))
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM applied").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def lookup(self, request_id: str) -> tuple[bytes, bytes | None] | None:
        """(digest, reply or None) of an applied write with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT digest, reply FROM applied WHERE id = ?", (request_id,)).fetchone()
        return (bytes(row[0]), None if row[1] is None else bytes(row[1])) if row else None

    def record(self, request_id: str, digest: bytes, op: str, reply: bytes) -> None:
        """Remember an applied write (its reply only if small)."""
        kept = reply if len(reply) <= self.max_reply_bytes else None
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO applied (id, digest, op, at, reply) VALUES (?, ?, ?, ?, ?)",
                             (request_id, digest, op, time.time(), kept))
            self._since_prune += 1
            if self._since_prune >= PRUNE_EVERY:
                self._since_prune = 0
                self._prune()

    def _prune(self) -> None:
        self._db.execute("DELETE FROM applied WHERE rowid NOT IN "
                         "(SELECT rowid FROM applied ORDER BY at DESC LIMIT ?)", (self.max_rows,))
        total = self._db.execute("SELECT coalesce(sum(length(reply)), 0) FROM applied").fetchone()[0]
        if total <= self.max_total_bytes:
            return
        excess = total - self.max_total_bytes
        # drop the oldest replies (their ids and digests stay) until the rest fit
        rows = self._db.execute("SELECT rowid, length(reply) FROM applied WHERE reply IS NOT NULL ORDER BY at")
        drop: list[int] = []
        for rowid, size in rows:
            if excess <= 0:
                break
            drop.append(rowid)
            excess -= size
        self._db.executemany("UPDATE applied SET reply = NULL WHERE rowid = ?", [(r,) for r in drop])

    def figures(self) -> dict[str, int]:
        with self._lock:
            rows, size = self._db.execute("SELECT count(*), coalesce(sum(length(reply)), 0) FROM applied").fetchone()
        return {"rows": rows, "reply_bytes": size}

    def close(self) -> None:
        with self._lock:
            self._db.close()
