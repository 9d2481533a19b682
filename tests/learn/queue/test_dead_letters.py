"""The dead letter (list, retry, drop) and the erasure of finished jobs' text from queue.db."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sidecar.learn.parse.records import Candidate
from sidecar.learn.queue.dead_letters import DeadLetters
from sidecar.learn.queue.job_queue import ChunkCounts, FileCursor, JobQueue

SECRET = "my-unredacted-token-Zq8vW3xK"


def enqueue(queue: JobQueue, *texts: str) -> list[int]:
    cands = [(Candidate("generic", "s1", "user", t, "/t/a.jsonl", i + 1, i * 100), "prev: " + t) for i, t in enumerate(texts)]
    cursor = FileCursor("/t/a.jsonl", "generic", 1, len(texts) * 100, len(texts) + 1, len(texts) * 100)
    return queue.commit_chunk(cursor, cands, ChunkCounts()).job_ids


@pytest.fixture
def queue(tmp_path: Path):
    q = JobQueue(tmp_path / "queue.db")
    yield q
    q.close()


def file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


def dead_letter(queue: JobQueue, *texts: str) -> list[int]:
    ids = enqueue(queue, *texts)
    for _ in ids:
        job = queue.claim()
        queue.fail(job.id, "JudgeReplyInvalid: judge reply is not JSON")
    return ids


def test_finished_jobs_keep_no_text_and_the_file_keeps_no_copy(queue: JobQueue) -> None:
    (stored, rejected) = enqueue(queue, f"I use {SECRET} for the build", f"ok {SECRET} thanks")
    for verdict in ({"memorize": True}, {"memorize": False}):
        job = queue.claim()
        queue.complete(job.id, [{"id": "m1", "event": "ADD"}] if verdict["memorize"] else [], verdict)
    with queue.reading() as db:
        rows = db.execute("SELECT text, context, results FROM jobs ORDER BY id").fetchall()
    assert [(r["text"], r["context"]) for r in rows] == [("", ""), ("", "")]
    assert queue.outcomes([stored, rejected])["added"] == 1  # ids and events are kept for provenance
    assert SECRET.encode() in file_bytes(queue.path)  # still in the write-ahead log...
    assert queue.compact()
    assert SECRET.encode() not in file_bytes(queue.path)  # ...until the idle compaction empties it


def test_secure_delete_is_on(queue: JobQueue) -> None:
    with queue.reading() as db:
        assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_list_retry_and_drop(queue: JobQueue) -> None:
    first, second, third = dead_letter(queue, "I live in Oslo", f"token {SECRET}", "I keep bees")
    letters = DeadLetters(queue)
    assert letters.count() == 3 and queue.counts()["failed"] == 3
    listed = letters.list()
    assert [j["id"] for j in listed] == [first, second, third]
    assert listed[0]["preview"] == "I live in Oslo" and "not JSON" in listed[0]["error"]
    assert listed[0]["failures"] == 1 and listed[0]["source"] == "/t/a.jsonl"

    assert letters.requeue([first, 999]) == [first]  # unknown or not dead-lettered ids are ignored
    job = queue.claim()
    assert job.id == first and job.attempts == 1 and job.failures == 0

    assert letters.drop([second]) == [second]
    assert queue.counts()["dropped"] == 1 and letters.count() == 1
    with queue.reading() as db:
        assert db.execute("SELECT text, error FROM jobs WHERE id=?", (second,)).fetchone()[:] == ("", None)
    queue.compact()
    assert SECRET.encode() not in file_bytes(queue.path)
    again = enqueue(queue, "I live in Oslo", f"token {SECRET}")  # same utterances, same offsets
    assert again == []  # a dropped job is never queued again

    assert letters.drop(None) == [third] and letters.count() == 0
    assert queue.outcomes([first, second, third]) | {} == {
        "processed": 2, "pending": 1, "failed": 0, "added": 0, "updated": 0, "deleted": 0, "none": 0}


def test_requeue_all_resets_attempts_and_makes_them_ready(queue: JobQueue) -> None:
    ids = dead_letter(queue, "a fact", "another fact")
    assert DeadLetters(queue).requeue(None) == ids
    assert queue.next_ready_at() == 0
    assert {queue.claim(now=time.time()).id, queue.claim(now=time.time()).id} == set(ids)


def test_list_open_includes_waiting_jobs(queue: JobQueue) -> None:
    (dead,) = dead_letter(queue, "a fact")
    (waiting,) = enqueue(queue, "later")
    letters = DeadLetters(queue)
    assert [j["id"] for j in letters.list()] == [dead]
    assert [j["id"] for j in letters.list(which="open")] == [dead, waiting]


def test_a_long_text_preview_is_cut(queue: JobQueue) -> None:
    dead_letter(queue, "word " * 100)
    (job,) = DeadLetters(queue).list()
    assert len(job["preview"]) == 80 and job["preview"].endswith("…")



def test_dropping_the_last_utterance_of_a_file_forgets_it_as_context(queue: JobQueue) -> None:
    (first, last) = dead_letter(queue, "I live in Oslo", f"token {SECRET}")
    cursor = FileCursor("/t/a.jsonl", "generic", 1, 300, 3, 300, last_turn=f"user: token {SECRET}")
    queue.commit_chunk(cursor, [], ChunkCounts())
    DeadLetters(queue).drop([first])
    assert queue.cursor("/t/a.jsonl").last_turn == f"user: token {SECRET}"  # another job's text: kept
    DeadLetters(queue).drop([last])
    assert queue.cursor("/t/a.jsonl").last_turn == ""
    queue.compact()
    assert SECRET.encode() not in file_bytes(queue.path)
