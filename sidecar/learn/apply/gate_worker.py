"""The background thread that drains the job queue through the write gate.

A job whose judge is unreachable goes back to the queue with exponential
backoff, for as long as it takes (nothing is dropped, no attempt is counted).
A job whose judge or reconciler answered something unusable (not JSON, cut off)
or that raised any other error is retried with backoff too, but each such
failure counts: after ``max_attempts`` of them the job is dead-lettered (state
``failed``: kept with its text and error, never retried on its own; see
:mod:`sidecar.learn.queue.dead_letters`). A job whose utterance the provenance log
shows was already learned (a queue rebuilt after damage reads transcripts again)
is finished without judging it. Finished jobs lose their text
(:meth:`JobQueue.complete`); when the queue is idle its log is emptied
(:meth:`JobQueue.compact`). Log lines carry job ids and counts, never text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from sidecar.llm.ollama_client import OllamaModelMissing
from sidecar.learn.apply.pipeline import GatePipeline, Origin
from sidecar.learn.judge.verdict import JudgeReplyInvalid, JudgeUnavailable
from sidecar.learn.queue.job_queue import Job, JobQueue
from sidecar.store.errors import StoreUnavailable

log = logging.getLogger("sidecar.gate")


class GateWorker:
    """Pulls jobs from ``queue`` and learns them into the store as ``user_id``."""

    def __init__(self, queue: JobQueue, pipeline: GatePipeline, user_id: str, *,
                 retry_base_s: float = 1.0, retry_max_s: float = 300.0, idle_poll_s: float = 1.0,
                 max_attempts: int = 5, user_of: Callable[[str], str | None] | None = None) -> None:
        self._queue = queue
        self._pipeline = pipeline
        self._user_id = user_id
        self._user_of = user_of  # a transcript's user named by a hook (FileUsers.user_for), else user_id
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._idle_poll_s = idle_poll_s
        self._max_attempts = max_attempts
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gate-worker", daemon=True)
        self.processed = 0
        self.failed = 0
        self.retried = 0
        self.dead_lettered = 0
        self.skipped = 0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """New jobs were queued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the job in hand, then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def backoff_s(self, attempts: int) -> float:
        """Delay before retry number ``attempts`` (1, 2, 4, ... capped)."""
        return min(self._retry_max_s, self._retry_base_s * 2 ** max(0, attempts - 1))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._queue.claim()
            except Exception:
                log.exception("claiming a job failed")
                self._stop.wait(self._idle_poll_s)
                continue
            if job is None:
                self._compact()
                self._wake.wait(self._idle_wait())
                self._wake.clear()
                continue
            self._yield_to_clients()
            self.process(job)

    def _yield_to_clients(self, quiet_s: float = 0.02, max_wait_s: float = 0.5) -> None:
        """Let a burst of client searches pass first (bounded, so the queue still drains)."""
        store = self._pipeline.store
        deadline = time.monotonic() + max_wait_s
        while time.monotonic() - store.last_client_read < quiet_s and time.monotonic() < deadline \
                and not self._stop.is_set():
            time.sleep(0.005)

    def _compact(self) -> None:
        try:
            self._queue.compact()
        except Exception:  # the erased texts stay in the log a little longer; the queue still works
            log.exception("emptying the queue's log failed")

    def _idle_wait(self) -> float:
        ready_at = self._queue.next_ready_at()
        if ready_at is None:
            return self._idle_poll_s
        return max(0.01, min(self._idle_poll_s, ready_at - time.time()))

    def process(self, job: Job) -> None:
        """Learn one claimed job and settle it in the queue (done, retry or dead letter)."""
        if self._pipeline.provenance.applied(job.key):
            self._queue.complete(job.id, [], {"skipped": "learned before"})
            self.skipped += 1
            return
        user = (self._user_of(job.source) if self._user_of is not None else None) or self._user_id
        scope: Mapping[str, str] = {"user_id": user, "agent_id": job.agent}
        origin = Origin(source=job.source, agent=job.agent, line=job.line, session_id=job.session_id,
                        cwd=job.cwd, job_key=job.key, metadata={"learned_from": "transcript", "role": job.role,
                                                    "utterance": job.text[:1000]})
        try:
            learned = self._pipeline.learn(job.text, role=job.role, context=job.context, scope=scope, origin=origin)
        except JudgeReplyInvalid as exc:
            self._failed_attempt(job, exc)
            return
        except (JudgeUnavailable, OllamaModelMissing, StoreUnavailable) as exc:  # not the job's fault: never dead-lettered
            delay = self.backoff_s(job.attempts)
            self._queue.retry(job.id, delay, f"{exc.__class__.__name__}: {exc}")
            self.retried += 1
            log.warning("job %d: %s unavailable (attempt %d), retrying in %.1fs", job.id,
                        "store" if isinstance(exc, StoreUnavailable) else "judge", job.attempts, delay)
            return
        except Exception as exc:  # one bad job must not stop the queue
            self._failed_attempt(job, exc)
            return
        verdict = learned.verdict
        applied = [{"id": r.get("id"), "event": r.get("event")} for r in learned.results]
        # no reasons or facts: the model's words may repeat the utterance, which the job must not keep
        self._queue.complete(job.id, applied, {"memorize": verdict.memorize, "kind": verdict.kind,
                                               "facts": len(verdict.facts), "score": round(verdict.score, 4),
                                               "backend": verdict.backend})
        self.processed += 1
        log.debug("job %d done: %s", job.id, ",".join(str(r["event"]) for r in applied) or "not memorable")

    def _failed_attempt(self, job: Job, exc: Exception) -> None:
        """A failure that counts: retry with backoff, or dead-letter the job after ``max_attempts``."""
        failures = job.failures + 1
        error = f"{exc.__class__.__name__}: {exc}"
        if failures >= self._max_attempts:
            self._queue.fail(job.id, f"gave up after {failures} failed attempts; last: {error}")
            self.failed += 1
            self.dead_lettered += 1
            log.warning("job %d dead-lettered after %d failed attempts (%s); see: memctl queue list",
                        job.id, failures, exc.__class__.__name__)
            return
        delay = self.backoff_s(failures)
        self._queue.retry(job.id, delay, error, failed=True)
        self.retried += 1
        log.warning("job %d: attempt %d of %d failed (%s), retrying in %.1fs", job.id, failures,
                    self._max_attempts, exc.__class__.__name__, delay)
