"""The durable job queue: idempotent chunks, atomic cursors, redelivery, message-id upserts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sidecar.learn.queue.job_queue import ChunkCounts, FileCursor, JobQueue
from sidecar.learn.parse.records import Candidate


def cand(text: str, offset: int, *, source: str = "/t/a.jsonl", message_id: str | None = None) -> Candidate:
    return Candidate("generic", "s1", "user", text, source, offset // 10 + 1, offset, message_id=message_id)


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    q = JobQueue(tmp_path / "queue.db")
    yield q
    q.close()


def commit(queue: JobQueue, cands: list[Candidate], offset: int, path: str = "/t/a.jsonl") -> ChunkCounts:
    cursor = FileCursor(path, "generic", inode=7, offset=offset, line=3, size=offset, state={"session_id": "s1"})
    return queue.commit_chunk(cursor, [(c, "") for c in cands], ChunkCounts(records=len(cands), candidates=len(cands)))


def test_chunk_commits_jobs_and_cursor_together(queue: JobQueue) -> None:
    counts = commit(queue, [cand("I live in Oslo", 0), cand("I like tea", 10)], 20)
    assert (counts.queued, counts.duplicates) == (2, 0)
    cursor = queue.cursor("/t/a.jsonl")
    assert (cursor.offset, cursor.line, cursor.inode, cursor.state) == (20, 3, 7, {"session_id": "s1"})
    assert queue.counts()["pending"] == 2
    assert queue.files()[0]["records"] == 2


def test_same_candidate_twice_is_a_duplicate(queue: JobQueue) -> None:
    commit(queue, [cand("I live in Oslo", 0)], 10)
    again = commit(queue, [cand("I live in Oslo", 0), cand("I live in Oslo", 10)], 20)
    assert (again.queued, again.duplicates) == (1, 1)  # same text at another offset is another utterance
    assert queue.files()[0]["duplicates"] == 1


def test_failed_transaction_leaves_cursor_and_jobs_untouched(queue: JobQueue, monkeypatch) -> None:
    commit(queue, [cand("I live in Oslo", 0)], 10)

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(JobQueue, "_upsert_job", staticmethod(boom))
    with pytest.raises(RuntimeError):
        commit(queue, [cand("I like tea", 10)], 20)
    assert queue.cursor("/t/a.jsonl").offset == 10
    assert queue.counts()["pending"] == 1


def test_claim_complete_and_outcomes(queue: JobQueue) -> None:
    counts = commit(queue, [cand("I live in Oslo", 0), cand("I like tea", 10)], 20)
    job = queue.claim()
    assert job is not None and job.text == "I live in Oslo" and job.attempts == 1
    queue.complete(job.id, [{"id": "m1", "event": "ADD"}], {"kind": "personal_fact"})
    out = queue.outcomes(counts.job_ids)
    assert (out["processed"], out["pending"], out["added"]) == (1, 1, 1)


def test_running_job_is_redelivered_after_restart(tmp_path: Path) -> None:
    first = JobQueue(tmp_path / "q.db")
    commit(first, [cand("I live in Oslo", 0)], 10)
    claimed = first.claim()
    assert first.claim() is None
    first.close()  # the process died before completing
    second = JobQueue(tmp_path / "q.db")
    again = second.claim()
    assert again is not None and again.id == claimed.id and again.attempts == 2
    second.close()


def test_retry_delays_and_fail_keeps_error(queue: JobQueue) -> None:
    commit(queue, [cand("I live in Oslo", 0), cand("I like tea", 10)], 20)
    job = queue.claim()
    queue.retry(job.id, 60.0, "JudgeUnavailable: down")
    counts = queue.counts()
    assert counts["pending"] == 2 and counts["retrying"] == 1
    other = queue.claim()
    assert other is not None and other.id != job.id  # the retried one is not ready yet
    queue.fail(other.id, "ValueError: bad")
    assert queue.claim() is None
    assert queue.counts()["failed"] == 1
    assert queue.claim(now=queue.next_ready_at() + 1).id == job.id


def test_message_id_upserts_pending_and_requeues_done(queue: JobQueue) -> None:
    commit(queue, [cand("I am learning Rust", 0, message_id="m1")], 10)
    grown = commit(queue, [cand("I am learning Rust and Go", 10, message_id="m1")], 20)
    assert grown.queued == 1
    assert queue.counts()["pending"] == 1
    job = queue.claim()
    assert job.text == "I am learning Rust and Go"
    queue.complete(job.id, [], None)
    commit(queue, [cand("I am learning Rust, Go and Zig", 20, message_id="m1")], 30)
    assert queue.claim().text == "I am learning Rust, Go and Zig"


def test_database_is_wal(queue: JobQueue) -> None:
    mode = sqlite3.connect(str(queue.path)).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
