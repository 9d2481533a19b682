"""The job queue's schema and the rows it hands out: file cursors, jobs, chunk counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PENDING, RUNNING, DONE = "pending", "running", "done"
# The dead-letter state: the job failed ``[gate] max_attempts`` times (or could never work). It keeps
# its text and error and is not retried until ``memctl queue retry``; ``memctl queue drop`` drops it.
FAILED = "failed"
DROPPED = "dropped"  # dropped by the user: no text kept; the row stays so the utterance is never queued again
FINISHED = (DONE, FAILED, DROPPED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    inode INTEGER,
    offset INTEGER NOT NULL DEFAULT 0,
    line INTEGER NOT NULL DEFAULT 1,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT '{}',
    last_turn TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL DEFAULT 0,
    candidates INTEGER NOT NULL DEFAULT 0,
    corrupt INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    message_key TEXT UNIQUE,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    agent TEXT NOT NULL,
    session_id TEXT,
    cwd TEXT,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    error TEXT,
    results TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (status, next_at, id);
CREATE INDEX IF NOT EXISTS jobs_source ON jobs (source, status);
"""


@dataclass(frozen=True)
class FileCursor:
    """Where reading of one transcript file stands."""

    path: str
    agent: str
    inode: int | None = None
    offset: int = 0
    line: int = 1
    size: int = 0
    mtime_ns: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    last_turn: str = ""


@dataclass(frozen=True)
class Job:
    """One redacted utterance waiting for the write gate."""

    id: int
    key: str
    source: str
    line: int
    offset: int
    agent: str
    session_id: str | None
    cwd: str | None
    role: str
    text: str
    context: str
    attempts: int
    failures: int = 0  # failed attempts before this one (an unreachable judge does not count)


@dataclass
class ChunkCounts:
    """Counters one committed chunk adds to its file's row."""

    records: int = 0
    candidates: int = 0
    corrupt: int = 0
    queued: int = 0
    duplicates: int = 0
    job_ids: list[int] = field(default_factory=list)
