"""The durable job queue between the transcript tail and the write gate.

One SQLite file in WAL mode holds two tables: ``files`` (per-file offset, line,
inode and parser state, plus counters) and ``jobs`` (one redacted utterance to
judge). :meth:`JobQueue.commit_chunk` writes a chunk's jobs and the file's new
cursor in ONE transaction, so a crash either loses the whole chunk (it is read
again) or keeps all of it, never half.

Delivery is at-least-once: a job claimed but not completed when the daemon died
is handed out again at the next start. The effect is exactly-once because a
job is marked ``done`` in the same transaction that records its applied result
ids, and because re-applying a fact is a no-op (the store skips exact
duplicates within a scope; the reconciler says NONE for a restated fact).

Only redacted text ever reaches this file, and only until the job is finished:
:meth:`JobQueue.complete` and :meth:`~sidecar.learn.queue.dead_letters.DeadLetters.drop`
erase it (the row keeps ids, verdict and result ids for provenance), the file is
opened with ``secure_delete`` so erased text is overwritten, and :meth:`JobQueue.compact`
empties the write-ahead log once the queue is idle. A job that keeps failing is
dead-lettered after ``[gate] max_attempts`` (see :mod:`.dead_letters`).
Opening, versions and damaged files: :mod:`.schema`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sidecar.learn.queue import schema
from sidecar.learn.queue.records import ChunkCounts, DONE, DROPPED, FAILED, FINISHED, FileCursor, Job, PENDING, RUNNING
from sidecar.learn.parse.records import Candidate


class JobQueue:
    """SQLite-backed queue; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db, self.recovered_from = schema.connect(self.path)  # the damaged file's new name, if any
        self._lock = threading.RLock()
        self._erased = 0  # texts erased since the last compact()
        with self._lock:
            # claimed by a process that died: deliver again (at-least-once)
            self._db.execute("UPDATE jobs SET status=? WHERE status=?", (PENDING, RUNNING))

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads, under the queue's lock."""
        with self._lock:
            yield self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes SQLite's lock up front."""
        with self._transaction() as db:
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- files ------------------------------------------------------------------

    def cursor(self, path: str) -> FileCursor | None:
        """The stored cursor of ``path``, or None if it was never read."""
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE path=?", (path,)).fetchone()
        if row is None:
            return None
        return FileCursor(row["path"], row["agent"], row["inode"], row["offset"], row["line"], row["size"],
                          row["mtime_ns"], json.loads(row["state"]), row["last_turn"])

    def mark_deleted(self, path: str) -> None:
        """Remember that ``path`` vanished; a file created there later is read from the start."""
        with self._transaction() as db:
            db.execute("UPDATE files SET deleted=1, inode=NULL, offset=0, line=1, size=0, state='{}', "
                       "last_turn='', updated_at=? WHERE path=?", (time.time(), path))

    def commit_chunk(self, cursor: FileCursor, jobs: Sequence[tuple[Candidate, str]],
                     counts: ChunkCounts) -> ChunkCounts:
        """Store ``jobs`` ((redacted candidate, context) pairs) and ``cursor`` atomically.

        A job whose idempotency key is already queued counts as a duplicate. A
        job carrying a ``message_id`` replaces the earlier copy of that message
        (Gemini re-appends a growing message under one id): a pending copy is
        rewritten in place, a finished one is queued again with the new text.
        """
        now = time.time()
        with self._transaction() as db:
            for candidate, context in jobs:
                job_id = self._upsert_job(db, candidate, context, now)
                if job_id is None:
                    counts.duplicates += 1
                else:
                    counts.queued += 1
                    counts.job_ids.append(job_id)
            db.execute(
                """INSERT INTO files (path, agent, inode, offset, line, size, mtime_ns, state, last_turn,
                                      records, candidates, corrupt, duplicates, deleted, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                   ON CONFLICT(path) DO UPDATE SET agent=excluded.agent, inode=excluded.inode,
                       offset=excluded.offset, line=excluded.line, size=excluded.size,
                       mtime_ns=excluded.mtime_ns, state=excluded.state, last_turn=excluded.last_turn,
                       records=records+excluded.records, candidates=candidates+excluded.candidates,
                       corrupt=corrupt+excluded.corrupt, duplicates=duplicates+excluded.duplicates,
                       deleted=0, updated_at=excluded.updated_at""",
                (cursor.path, cursor.agent, cursor.inode, cursor.offset, cursor.line, cursor.size,
                 cursor.mtime_ns, json.dumps(cursor.state), cursor.last_turn, counts.records,
                 counts.candidates, counts.corrupt, counts.duplicates, now),
            )
        return counts

    @staticmethod
    def _upsert_job(db: sqlite3.Connection, candidate: Candidate, context: str, now: float) -> int | None:
        key = candidate.key()
        if db.execute("SELECT 1 FROM jobs WHERE key=?", (key,)).fetchone():
            return None
        message_key = (f"{candidate.agent}\x00{candidate.source}\x00{candidate.message_id}"
                       if candidate.message_id else None)
        fields = (key, candidate.source, candidate.line, candidate.offset, candidate.agent,
                  candidate.session_id, candidate.cwd, candidate.role, candidate.text, context)
        if message_key is not None:
            row = db.execute("SELECT id, status FROM jobs WHERE message_key=?", (message_key,)).fetchone()
            if row is not None:
                db.execute(
                    """UPDATE jobs SET key=?, source=?, line=?, offset=?, agent=?, session_id=?, cwd=?,
                       role=?, text=?, context=?, status=?, attempts=0, failures=0, next_at=0, error=NULL,
                       results=NULL, updated_at=? WHERE id=?""",
                    (*fields, PENDING, now, row["id"]),
                )
                return int(row["id"])
        cur = db.execute(
            """INSERT INTO jobs (key, source, line, offset, agent, session_id, cwd, role, text, context,
                                 message_key, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (*fields, message_key, now, now),
        )
        return int(cur.lastrowid)

    def files(self) -> list[dict[str, Any]]:
        """Every file ever read, with its offset and counters."""
        with self._lock:
            rows = self._db.execute(
                "SELECT path, agent, offset, size, records, candidates, corrupt, duplicates, deleted, updated_at "
                "FROM files ORDER BY path").fetchall()
        return [dict(row) for row in rows]

    # -- jobs ---------------------------------------------------------------------

    def claim(self, now: float | None = None) -> Job | None:
        """Hand out the oldest ready job (marked running), or None."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE status=? AND next_at<=? ORDER BY id LIMIT 1",
                             (PENDING, now)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET status=?, attempts=attempts+1, updated_at=? WHERE id=?",
                       (RUNNING, now, row["id"]))
        return Job(row["id"], row["key"], row["source"], row["line"], row["offset"], row["agent"],
                   row["session_id"], row["cwd"], row["role"], row["text"], row["context"], row["attempts"] + 1,
                   row["failures"])

    def next_ready_at(self) -> float | None:
        """When the earliest pending job becomes ready (None if none is pending)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(next_at) FROM jobs WHERE status=?", (PENDING,)).fetchone()
        return row[0]

    def complete(self, job_id: int, results: list[dict[str, Any]], verdict: dict[str, Any] | None) -> None:
        """Mark a job done with what it applied (ids and events) and erase its text, stored or rejected."""
        record = json.dumps({"results": results, "verdict": verdict})
        with self._transaction() as db:
            done = db.execute("UPDATE jobs SET status=?, results=?, text='', context='', error=NULL, updated_at=? "
                              "WHERE id=? AND status=?", (DONE, record, time.time(), job_id, RUNNING)).rowcount
            self._erased += done

    def retry(self, job_id: int, delay_s: float, error: str, *, failed: bool = False) -> None:
        """Put a job back, ready again after ``delay_s``; ``failed`` counts the attempt toward the dead letter."""
        now = time.time()
        with self._transaction() as db:
            db.execute("UPDATE jobs SET status=?, next_at=?, error=?, failures=failures+?, updated_at=? "
                       "WHERE id=? AND status=?", (PENDING, now + delay_s, error[:500], int(failed), now, job_id,
                                                   RUNNING))

    def fail(self, job_id: int, error: str) -> None:
        """Dead-letter a job: it keeps its text and error and is not retried until :meth:`DeadLetters.requeue`."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET status=?, error=?, failures=failures+1, updated_at=? WHERE id=?",
                       (FAILED, error[:500], time.time(), job_id))

    def erased(self, count: int) -> None:
        """``count`` texts were erased outside :meth:`complete` (by a drop): :meth:`compact` should run."""
        with self._lock:
            self._erased += count

    def compact(self) -> bool:
        """Empty the write-ahead log once texts were erased, so no copy of them is left in it.

        Called by the gate worker when the queue is idle; returns whether it ran.
        """
        with self._lock:
            if not self._erased:
                return False
            row = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if row[0] == 0:  # not blocked by a reader: the log is empty now
                self._erased = 0
            return True

    def open_job_ids(self, sources: Iterable[str]) -> list[int]:
        """Ids of the not yet finished jobs read from ``sources``."""
        sources = list(sources)
        if not sources:
            return []
        marks = ",".join("?" * len(sources))
        with self._lock:
            rows = self._db.execute(f"SELECT id FROM jobs WHERE source IN ({marks}) AND status IN (?, ?)",
                                    (*sources, PENDING, RUNNING)).fetchall()
        return [row[0] for row in rows]

    def outcomes(self, job_ids: Sequence[int]) -> dict[str, int]:
        """How many of ``job_ids`` are finished, and the store events their results applied."""
        totals = {"processed": 0, "pending": 0, "failed": 0, "added": 0, "updated": 0, "deleted": 0, "none": 0}
        names = {"ADD": "added", "UPDATE": "updated", "DELETE": "deleted", "NONE": "none"}
        with self._lock:
            for start in range(0, len(job_ids), 500):
                part = list(job_ids[start:start + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT status, results FROM jobs WHERE id IN ({marks})", part).fetchall()
                for row in rows:
                    if row["status"] not in FINISHED:
                        totals["pending"] += 1
                        continue
                    totals["processed"] += 1
                    totals["failed"] += row["status"] == FAILED
                    for result in json.loads(row["results"] or "{}").get("results", []):
                        event = names.get(str(result.get("event")))
                        if event:
                            totals[event] += 1
        return totals

    def counts(self) -> dict[str, int]:
        """Jobs by state (``failed`` is the dead letter); ``retrying`` are pending jobs tried before."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*), SUM(attempts>0) FROM jobs GROUP BY status").fetchall()
        out = {PENDING: 0, DONE: 0, FAILED: 0, DROPPED: 0, "retrying": 0, RUNNING: 0}
        for status, count, retried in rows:
            out[status] = count
            if status == PENDING:
                out["retrying"] = int(retried or 0)
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()
