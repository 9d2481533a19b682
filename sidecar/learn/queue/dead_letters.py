"""The dead letter: jobs the gate gave up on, listed, retried or dropped on the user's word.

A job lands here (state ``failed``) after ``[gate] max_attempts`` failed judge or
reconciler calls (a reply that is not JSON, an error), or at once for an error that
retrying cannot fix. It keeps its text and last error and is never retried on its
own. ``requeue`` makes it pending again with a fresh attempt count; ``drop`` erases
its text and keeps the row (state ``dropped``), so the same utterance is never
queued again; when it was the last utterance read from its file, the file's
``last_turn`` (the context kept for the next line) goes too. ``memctl queue list|retry|drop`` reach these through the
``queue.*`` ops (:mod:`sidecar.ops.queue_ops`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from sidecar.learn.queue.job_queue import JobQueue
from sidecar.learn.queue.records import DROPPED, FAILED, PENDING, RUNNING

PREVIEW_CHARS = 80
LISTED = {"failed": (FAILED,), "open": (PENDING, RUNNING, FAILED)}


class DeadLetters:
    """The dead-lettered jobs of one :class:`JobQueue`."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    def count(self) -> int:
        with self._queue.reading() as db:
            return int(db.execute("SELECT COUNT(*) FROM jobs WHERE status=?", (FAILED,)).fetchone()[0])

    def list(self, *, which: str = "failed", limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Jobs in ``which`` (``failed``: the dead letter; ``open``: also those waiting), oldest first.

        Each row: id, state, source file and line, agent, attempts, failures, the last
        error, when it last changed and the first words of its (redacted) text.
        """
        states = LISTED[which]
        marks = ",".join("?" * len(states))
        with self._queue.reading() as db:
            rows = db.execute(
                f"SELECT id, status, source, line, agent, attempts, failures, error, updated_at, next_at, "
                f"substr(text, 1, {PREVIEW_CHARS + 1}) AS head FROM jobs WHERE status IN ({marks}) "
                "ORDER BY id LIMIT ? OFFSET ?", (*states, limit, offset)).fetchall()
        out = []
        for row in rows:
            head = row["head"] or ""
            preview = head if len(head) <= PREVIEW_CHARS else head[:PREVIEW_CHARS - 1] + "…"
            out.append({"id": row["id"], "state": row["status"], "source": row["source"], "line": row["line"],
                        "agent": row["agent"], "attempts": row["attempts"], "failures": row["failures"],
                        "error": row["error"], "updated_at": row["updated_at"],
                        "next_at": row["next_at"] if row["status"] == PENDING else None, "preview": preview})
        return out

    def requeue(self, job_ids: Sequence[int] | None) -> list[int]:
        """Make dead-lettered jobs (``None``: all of them) pending again, with fresh attempts; their ids."""
        return self._settle(job_ids, "status=?, attempts=0, failures=0, next_at=0, error=NULL", (PENDING,))

    def drop(self, job_ids: Sequence[int] | None) -> list[int]:
        """Drop dead-lettered jobs (``None``: all of them): text erased, row kept; their ids."""
        dropped = self._settle(job_ids, "status=?, text='', context='', error=NULL", (DROPPED,),
                               before=_forget_last_turns)
        self._queue.erased(len(dropped))
        return dropped

    def _settle(self, job_ids: Sequence[int] | None, assignments: str, values: tuple[Any, ...],
                before: Callable[[sqlite3.Connection, list[int]], None] | None = None) -> list[int]:
        now = time.time()
        with self._queue.transaction() as db:
            if job_ids is None:
                ids = [row[0] for row in db.execute("SELECT id FROM jobs WHERE status=? ORDER BY id", (FAILED,))]
            else:
                ids = []
                for start in range(0, len(job_ids), 500):
                    part = list(job_ids[start:start + 500])
                    marks = ",".join("?" * len(part))
                    ids += [row[0] for row in db.execute(
                        f"SELECT id FROM jobs WHERE status=? AND id IN ({marks}) ORDER BY id", (FAILED, *part))]
            if before is not None:
                before(db, ids)
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                marks = ",".join("?" * len(part))
                db.execute(f"UPDATE jobs SET {assignments}, updated_at=? WHERE id IN ({marks})",
                           (*values, now, *part))
        return ids


def _forget_last_turns(db: sqlite3.Connection, job_ids: list[int]) -> None:
    """Erase a file's ``last_turn`` when it holds (the end of) the text of a job being dropped."""
    for job_id in job_ids:
        row = db.execute("SELECT source, text FROM jobs WHERE id=?", (job_id,)).fetchone()
        tail = (row["text"] or "")[-40:] if row else ""
        if tail:
            db.execute("UPDATE files SET last_turn='' WHERE path=? AND instr(last_turn, ?) > 0", (row["source"], tail))
