"""The gate worker: done with result ids, retry with backoff when the judge is down, failures counted."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sidecar.learn.apply.pipeline import GatePipeline
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.reconcile.decision import Decision
from sidecar.learn.judge.verdict import JudgeReplyInvalid, JudgeUnavailable, Verdict
from sidecar.learn.apply.gate_worker import GateWorker
from sidecar.learn.queue.dead_letters import DeadLetters
from sidecar.learn.queue.job_queue import ChunkCounts, FileCursor, JobQueue
from sidecar.learn.parse.records import Candidate
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.waiting import wait_until

REASONS = {"factuality": "f", "stability": "s", "reuse": "r"}


class ScriptedJudge:
    name = "scripted"

    def __init__(self) -> None:
        self.down = False
        self.crash = False
        self.calls = 0

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        self.calls += 1
        if self.down:
            raise JudgeUnavailable("connection refused")
        if self.crash:
            raise ValueError("broken judge")
        return Verdict(True, "personal_fact", (text.replace("I ", "", 1).capitalize(),), REASONS, 0.9, "scripted")


class GarbageJudge:
    """A model that answers, but never with JSON."""

    name = "garbage"

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        raise JudgeReplyInvalid("judge reply is not JSON (12 characters)")


class MovedReconciler:
    """ADD unless the fact says 'moved', which updates the first neighbour."""

    def decide(self, fact: str, neighbours, *, utterance: str = "") -> Decision:
        if "moved" in fact.lower() and neighbours:
            return Decision("UPDATE", fact, neighbours[0].id, fact, "moved")
        return Decision("ADD", fact, None, fact, "new")


@pytest.fixture
def parts(tmp_path: Path):
    queue = JobQueue(tmp_path / "queue.db")
    store, judge = FakeStore(score=0.9), ScriptedJudge()
    provenance = ProvenanceLog(tmp_path / "provenance.db")
    pipeline = GatePipeline(store, judge, MovedReconciler(), provenance)
    worker = GateWorker(queue, pipeline, "ana", retry_base_s=0.5, retry_max_s=4.0)
    yield queue, store, judge, provenance, worker
    queue.close()
    provenance.close()


def enqueue(queue: JobQueue, *texts: str) -> list[int]:
    cands = [(Candidate("codex", "s9", "user", t, "/t/r.jsonl", i + 1, i * 100, cwd="/w"), "") for i, t in enumerate(texts)]
    cursor = FileCursor("/t/r.jsonl", "codex", 1, len(texts) * 100, len(texts) + 1, len(texts) * 100)
    return queue.commit_chunk(cursor, cands, ChunkCounts()).job_ids


def test_job_applied_with_provenance_and_marked_done(parts) -> None:
    queue, store, _, provenance, worker = parts
    ids = enqueue(queue, "I live in Oslo", "I moved to Bergen")
    worker.process(queue.claim())
    worker.process(queue.claim())
    assert queue.outcomes(ids) | {} == {"processed": 2, "pending": 0, "failed": 0, "added": 1,
                                        "updated": 1, "deleted": 0, "none": 0}
    (memory,) = store.rows.values()
    assert memory["memory"] == "Moved to bergen"
    assert (memory["user_id"], memory["agent_id"]) == ("ana", "codex")
    assert "run_id" not in memory and memory["metadata"]["session_id"] == "s9"
    assert memory["metadata"]["source"] == "/t/r.jsonl" and memory["metadata"]["line"] == 1
    assert {"filters": {"user_id": "ana", "agent_id": "codex"}, "top_k": 5} in store.searches
    assert all(search["filters"] == {"user_id": "ana", "agent_id": "codex"} for search in store.searches)
    assert store.locked_scopes[-1] == {"user_id": "ana", "agent_id": "codex"}  # decide+apply under the scope lock
    assert [r["op"] for r in provenance.rows_for(memory["id"])] == ["ADD", "UPDATE"]
    assert provenance.rows_for(memory["id"])[1]["line"] == 2


def test_unavailable_judge_requeues_with_growing_backoff(parts) -> None:
    queue, store, judge, _, worker = parts
    (job_id,) = enqueue(queue, "I live in Oslo")
    judge.down = True
    for delay in (0.5, 1.0, 2.0, 4.0):
        job = queue.claim(now=time.time() + 3600)
        before = time.time()
        worker.process(job)
        after = time.time()
        # due `delay` after the failure, however long processing took on a busy machine
        assert before + delay - 1e-3 <= queue.next_ready_at() <= after + delay + 1e-3
    assert queue.counts()["pending"] == 1 and queue.counts()["retrying"] == 1 and not store.rows
    judge.down = False
    worker.process(queue.claim(now=time.time() + 3600))
    assert queue.outcomes([job_id])["added"] == 1 and len(store.rows) == 1
    assert worker.retried == 4


def test_other_errors_are_retried_then_dead_lettered_and_counted(parts) -> None:
    queue, store, judge, _, worker = parts
    (job_id,) = enqueue(queue, "I live in Oslo")
    judge.crash = True
    for _ in range(4):  # max_attempts=5 by default: four failures go back with backoff
        worker.process(queue.claim(now=time.time() + 3600))
        assert queue.counts()["pending"] == 1 and worker.failed == 0
    worker.process(queue.claim(now=time.time() + 3600))
    assert queue.counts()["failed"] == 1 and worker.failed == 1 and worker.dead_lettered == 1
    assert queue.outcomes([job_id])["failed"] == 1 and queue.claim(now=time.time() + 86_400) is None


def test_a_judge_answering_garbage_is_dead_lettered_after_max_attempts(parts) -> None:
    queue, store, judge, provenance, _ = parts
    worker = GateWorker(queue, GatePipeline(store, GarbageJudge(), MovedReconciler(), provenance), "ana",
                        retry_base_s=0.5, retry_max_s=4.0, max_attempts=3)
    (job_id,) = enqueue(queue, "I live in Oslo")
    for delay in (0.5, 1.0):  # backoff between the attempts
        before = time.time()
        worker.process(queue.claim(now=time.time() + 3600))
        after = time.time()
        assert before + delay - 1e-3 <= queue.next_ready_at() <= after + delay + 1e-3
    worker.process(queue.claim(now=time.time() + 3600))
    assert queue.next_ready_at() is None
    assert queue.counts()["failed"] == 1 and queue.claim(now=time.time() + 86_400) is None
    (dead,) = DeadLetters(queue).list()
    assert dead["id"] == job_id and dead["failures"] == 3 and "JudgeReplyInvalid" in dead["error"]
    assert dead["preview"] == "I live in Oslo" and not store.rows


def test_an_unreachable_judge_never_dead_letters(parts) -> None:
    queue, store, judge, _, worker = parts
    enqueue(queue, "I live in Oslo")
    judge.down = True
    for _ in range(12):  # far beyond max_attempts: a server that is down is not the job's fault
        worker.process(queue.claim(now=time.time() + 86_400))
    assert queue.counts()["pending"] == 1 and queue.counts()["failed"] == 0 and worker.dead_lettered == 0


def test_a_job_whose_utterance_was_learned_before_is_not_judged_again(parts) -> None:
    """A rebuilt queue reads transcripts again: what the provenance log shows was applied is skipped."""
    queue, store, judge, provenance, worker = parts
    enqueue(queue, "I live in Oslo")
    worker.process(queue.claim())
    (memory_id,) = store.rows
    del store.rows[memory_id]  # the user deleted the memory afterwards
    again = JobQueue(queue.path.with_name("rebuilt.db"))
    try:
        (job_id,) = enqueue(again, "I live in Oslo")
        calls = judge.calls
        worker_again = GateWorker(again, worker._pipeline, "ana")
        worker_again.process(again.claim())
        assert judge.calls == calls and not store.rows and worker_again.skipped == 1
        assert again.outcomes([job_id])["processed"] == 1
    finally:
        again.close()


def test_background_thread_drains_the_queue(parts) -> None:
    queue, store, _, _, worker = parts
    worker.start()
    try:
        ids = enqueue(queue, "I live in Oslo", "I drive a Volvo", "I keep bees")
        worker.wake()
        wait_until(lambda: not queue.outcomes(ids)["pending"], interval=0.02, what="the queue to drain")
    finally:
        worker.stop()
    assert sorted(r["memory"] for r in store.rows.values()) == ["Drive a volvo", "Keep bees", "Live in oslo"]
    # only ids and events are kept with the job, never the text
    assert "Oslo" not in json.dumps(queue.outcomes(ids)) and queue.counts()["done"] == 3


def test_an_unreachable_store_requeues_without_counting_an_attempt(parts) -> None:
    from sidecar.store.errors import StoreUnavailable

    queue, store, _, _, worker = parts
    (job_id,) = enqueue(queue, "I live in Oslo")

    def down(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise StoreUnavailable("the database went away")

    store.add = down
    for _ in range(6):  # more than max_attempts: an outage of the store is not the job's fault
        worker.process(queue.claim(now=time.time() + 3600))
        assert queue.counts()["pending"] == 1 and worker.failed == 0
    del store.add
    worker.process(queue.claim(now=time.time() + 3600))
    assert queue.outcomes([job_id])["added"] == 1 and len(store.rows) == 1
