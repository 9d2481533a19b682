"""The review inbox: facts the write gate found, waiting for the user's yes or no.

One SQLite file (``<data_dir>/ingest/review.db``, WAL). A pending item holds the
proposed text, the decision (ADD / UPDATE / DELETE and the memory it acts on),
the judge's verdict, where the utterance came from and the scope it would be
written to. Nothing here is searched or injected: an item becomes a memory only
when :class:`~sidecar.learn.review.resolve.Reviewer` accepts it.

A resolved item keeps no text. An accepted one names the memory it wrote; a
rejected one keeps only a fingerprint of its scope, decision and text, so the
same fact read again (a transcript re-read, the same sentence in a later
session) is not proposed again. A pending fact proposed a second time is the
same item, which also makes a replayed transcript job harmless.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sidecar.sqlite_files import open_shared
from sidecar_shared.protocol import SCOPE_KEYS

PENDING, APPLYING, ACCEPTED, REJECTED = "pending", "applying", "accepted", "rejected"
MIN_PREFIX = 6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS review_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    op TEXT NOT NULL,
    target_id TEXT,
    target_text TEXT,
    text TEXT,
    utterance TEXT,
    user_id TEXT,
    agent_id TEXT,
    run_id TEXT,
    source TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '{}',
    verdict TEXT NOT NULL DEFAULT '{}',
    reason TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    resolved_at REAL,
    memory_id TEXT,
    event TEXT
);
CREATE INDEX IF NOT EXISTS review_status ON review_items (status, user_id, seq);
CREATE INDEX IF NOT EXISTS review_fingerprint ON review_items (fingerprint, status);
"""


class ReviewError(Exception):
    """A review request that cannot be done; the message says why."""


class ReviewNotFound(ReviewError):
    """No review item has that id (or prefix) in the caller's scope."""


class ReviewConflict(ReviewError):
    """The item exists but cannot be resolved that way (already resolved, ambiguous prefix, bad edit)."""


@dataclass(frozen=True)
class Proposal:
    """One decision of the write gate, held for review."""

    op: str
    text: str
    scope: Mapping[str, str]
    source: str
    target_id: str | None = None
    target_text: str | None = None
    utterance: str = ""
    origin: Mapping[str, Any] = field(default_factory=dict)
    verdict: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Same scope, same decision, same text (case and spacing aside): the same proposal."""
        text = " ".join(self.text.casefold().split())
        key = [self.scope.get(k) for k in SCOPE_KEYS] + [self.op, self.target_id, text]
        return hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Proposed:
    """What :meth:`ReviewInbox.propose` did: a new item, the pending one it was already, or none (rejected before)."""

    item_id: str | None
    state: str  # "new" | "pending" | "rejected"


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _item(row: sqlite3.Row) -> dict[str, Any]:
    item = {key: row[key] for key in ("id", "status", "op", "text", "target_id", "target_text", "utterance",
                                      "source", "reason", "memory_id", "event")}
    item.update({key: row[key] for key in SCOPE_KEYS if row[key]})
    item["provenance"] = json.loads(row["origin"])
    item["verdict"] = json.loads(row["verdict"])
    item["metadata"] = json.loads(row["metadata"])
    item["created_at"] = _iso(row["created_at"])
    item["resolved_at"] = _iso(row["resolved_at"])
    return item


def _where(scope: Mapping[str, str] | None, status: str | None) -> tuple[str, list[Any]]:
    clauses, values = [], []
    if status is not None:
        clauses.append("status=?")
        values.append(status)
    for key in SCOPE_KEYS:
        if scope and scope.get(key):
            clauses.append(f"{key}=?")
            values.append(scope[key])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


class ReviewInbox:
    """SQLite table of review items; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self._db = open_shared(path, _SCHEMA)
        self._lock = threading.Lock()
        with self._lock:
            # an accept that died between claim and settle: pending again (a re-applied ADD is a no-op)
            self._db.execute("UPDATE review_items SET status=? WHERE status=?", (PENDING, APPLYING))

    def propose(self, proposal: Proposal) -> Proposed:
        """Hold ``proposal`` unless it is already pending or was rejected before."""
        fingerprint = proposal.fingerprint()
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT id, status FROM review_items WHERE fingerprint=? AND status IN (?, ?, ?) "
                    "ORDER BY seq DESC LIMIT 1", (fingerprint, PENDING, APPLYING, REJECTED)).fetchone()
                if row is not None:
                    self._db.execute("COMMIT")
                    return Proposed(row["id"] if row["status"] != REJECTED else None,
                                    "rejected" if row["status"] == REJECTED else "pending")
                item_id = uuid.uuid4().hex
                self._db.execute(
                    """INSERT INTO review_items (id, status, fingerprint, op, target_id, target_text, text,
                           utterance, user_id, agent_id, run_id, source, origin, verdict, reason, metadata,
                           created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (item_id, PENDING, fingerprint, proposal.op, proposal.target_id, proposal.target_text,
                     proposal.text, proposal.utterance, *(proposal.scope.get(k) for k in SCOPE_KEYS),
                     proposal.source, json.dumps(dict(proposal.origin), default=str),
                     json.dumps(dict(proposal.verdict), default=str), proposal.reason,
                     json.dumps(dict(proposal.metadata), default=str), now))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Proposed(item_id, "new")

    def items(self, scope: Mapping[str, str] | None, *, limit: int, offset: int = 0,
              status: str = PENDING) -> tuple[list[dict[str, Any]], int]:
        """One page of items of ``scope`` with ``status``, oldest first, and how many there are in all."""
        where, values = _where(scope, status)
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM review_items{where}", values).fetchone()[0]
            rows = self._db.execute(f"SELECT * FROM review_items{where} ORDER BY seq LIMIT ? OFFSET ?",
                                    (*values, limit, offset)).fetchall()
        return [_item(row) for row in rows], int(total)

    def count(self, scope: Mapping[str, str] | None = None) -> int:
        """Pending items of ``scope`` (every scope when None)."""
        where, values = _where(scope, PENDING)
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM review_items{where}", values).fetchone()[0])

    def find(self, ref: str, scope: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The item whose id is ``ref`` or starts with it (at least :data:`MIN_PREFIX` characters).

        Raises :class:`ReviewNotFound` (none in ``scope``) or :class:`ReviewConflict` (a prefix of several).
        """
        ref = ref.strip().lower()
        if len(ref) < MIN_PREFIX or not all(c in "0123456789abcdef" for c in ref):
            raise ReviewNotFound(f"{ref!r} is not a review item id (give at least {MIN_PREFIX} of its hex digits)")
        where, values = _where(scope, None)
        where = f"{where} AND" if where else " WHERE"
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM review_items{where} id LIKE ? ORDER BY seq LIMIT 2",
                                    (*values, ref + "%")).fetchall()
        if not rows:
            owner = f" for {', '.join(f'{k}={v}' for k, v in scope.items() if v)}" if scope else ""
            raise ReviewNotFound(f"no review item {ref}{owner}")
        if len(rows) > 1:
            raise ReviewConflict(f"{ref} is the start of several review item ids; give more of it")
        return _item(rows[0])

    def claim(self, item_id: str) -> bool:
        """Mark a pending item as being applied; False if it is not pending (any more)."""
        with self._lock:
            cur = self._db.execute("UPDATE review_items SET status=? WHERE id=? AND status=?",
                                   (APPLYING, item_id, PENDING))
        return cur.rowcount == 1

    def release(self, item_id: str) -> None:
        """An accept that failed: the item is pending again."""
        with self._lock:
            self._db.execute("UPDATE review_items SET status=? WHERE id=? AND status=?",
                             (PENDING, item_id, APPLYING))

    def settle(self, item_id: str, status: str, *, memory_id: str | None = None, event: str | None = None) -> bool:
        """Resolve an item (``accepted`` or ``rejected``), dropping its text; False if it was resolved already."""
        if status not in (ACCEPTED, REJECTED):
            raise ValueError(f"cannot settle a review item as {status!r}")
        with self._lock:
            cur = self._db.execute(
                "UPDATE review_items SET status=?, resolved_at=?, memory_id=?, event=?, text=NULL, utterance=NULL, "
                "target_text=NULL, verdict='{}', metadata='{}' WHERE id=? AND status IN (?, ?)",
                (status, time.time(), memory_id, event, item_id, PENDING, APPLYING))
        return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
