"""Reads first: write work pauses at its checkpoints while a read is in progress, never a read itself."""

from __future__ import annotations

import sys
import threading

import pytest

from sidecar.rpc.inflight import InFlight, Pending
from sidecar.rpc.priority import ReadsFirst, prefer_short_slices
from sidecar.rpc.scheduler import READ, WRITE, Job, Scheduler
from sidecar.testing.waiting import ready_limit, wait_until
from tests.rpc.pools import running_pool


def paused_checkpoint(gate: ReadsFirst) -> tuple[threading.Thread, threading.Event]:
    """A thread doing write work that reaches a checkpoint; the event is set once it passed."""
    passed = threading.Event()

    def work() -> None:
        gate.checkpoint()
        passed.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, passed


def test_write_work_waits_at_a_checkpoint_until_the_reads_are_done():
    gate = ReadsFirst(max_pause_s=ready_limit())
    gate.read_queued()
    gate.read_queued()
    thread, passed = paused_checkpoint(gate)
    wait_until(lambda: gate.pauses == 1, what="the checkpoint to pause")
    gate.read_done()
    assert not passed.is_set()  # one read still in progress
    gate.read_done()
    assert passed.wait(ready_limit()), "the checkpoint did not resume after the reads"
    thread.join(ready_limit())


def test_without_reads_a_checkpoint_does_not_pause():
    gate = ReadsFirst(max_pause_s=ready_limit())
    assert gate.checkpoint() == 0.0 and gate.pauses == 0


def test_a_thread_running_a_read_never_pauses():
    gate = ReadsFirst(max_pause_s=ready_limit())
    gate.read_queued()
    gate.running_read(True)
    try:
        assert gate.checkpoint() == 0.0 and gate.pauses == 0
    finally:
        gate.running_read(False)


def test_a_steady_stream_of_reads_slows_writes_but_never_stops_them():
    gate = ReadsFirst(max_pause_s=0.0)
    gate.read_queued()  # never done
    thread, passed = paused_checkpoint(gate)
    assert passed.wait(ready_limit()), "write work waited past its bound"
    assert gate.pauses == 1


def test_a_read_counts_from_its_admission_until_its_reply_was_sent():
    scheduler = Scheduler(workers=2, capacity=10, per_key=10)
    gate = scheduler.priority
    in_flight = InFlight(gate)
    scheduler.submit(Job(b"w", "w", WRITE, ("scope",), lambda: (b"", b"ok")))
    assert gate.reads() == 0  # writes do not count
    tokens = [in_flight.add(Pending([b"conn"], f"r{n}", "search", "-", 0.0, write=False)) for n in (1, 2)]
    for token in tokens:
        scheduler.submit(Job(token, token.decode(), READ, b"conn", lambda: (b"", b"ok")))
    assert gate.reads() == 2
    first = scheduler.take(0)
    assert first is not None and first.lane == READ
    scheduler.done(first)
    assert gate.reads() == 2  # computed, but its reply has not left: write work still waits
    in_flight.sent(in_flight.take(first.token))
    assert gate.reads() == 1
    (queued,) = [job for job in scheduler.close() if job.lane == READ]  # answered shutting_down, then sent
    in_flight.sent(in_flight.take(queued.token))
    assert gate.reads() == 0 and len(in_flight) == 0


def test_a_writes_reply_or_a_refused_request_does_not_end_a_read():
    gate = ReadsFirst()
    in_flight = InFlight(gate)
    gate.read_queued()
    write = in_flight.add(Pending([b"conn"], "w", "add", "-", 0.0, write=True))
    refused = in_flight.add(Pending([b"conn"], "r", "search", "-", 0.0, write=False))
    in_flight.refused(refused)  # never queued: the scheduler did not count it
    in_flight.sent(in_flight.take(write))
    assert in_flight.take(refused) is None
    assert gate.reads() == 1


@pytest.fixture
def pool():
    with running_pool(Scheduler(workers=2, capacity=100, per_key=100, priority=ReadsFirst(max_pause_s=ready_limit()))) as workers:
        yield workers


def test_a_write_job_waits_for_a_running_read_and_the_read_never_waits(pool):
    release_read, read_checkpoint, write_ran = threading.Event(), [], threading.Event()

    def read() -> tuple[bytes, bytes]:
        read_checkpoint.append(pool.scheduler.priority.checkpoint())  # e.g. the search's query embedding
        assert release_read.wait(ready_limit())
        return b"read", b"ok"

    def write() -> tuple[bytes, bytes]:
        write_ran.set()
        return b"write", b"ok"

    pool.scheduler.submit(Job(b"r", "r", READ, b"conn", read))
    wait_until(lambda: read_checkpoint, what="the read to start")
    pool.scheduler.submit(Job(b"w", "w", WRITE, ("scope",), write))
    wait_until(lambda: pool.scheduler.priority.pauses == 1, what="the write to wait for the read")
    assert not write_ran.is_set()
    release_read.set()
    wait_until(lambda: pool.results.take_all(), what="the read's reply")
    assert not write_ran.is_set()  # computed, not yet sent by the socket thread
    pool.scheduler.priority.read_done()  # what the server does once the reply has left
    assert write_ran.wait(ready_limit()), "the write did not run after the read"
    assert read_checkpoint == [0.0]


def test_the_pool_shortens_the_interpreters_switch_interval():
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        prefer_short_slices(0.001)
        assert sys.getswitchinterval() == pytest.approx(0.001)
        prefer_short_slices(0.002)  # never lengthened
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)


def test_reads_are_quiet_only_when_none_runs_and_none_ended_lately():
    gate = ReadsFirst()
    assert gate.quiet()  # no read yet
    gate.read_queued()
    assert not gate.quiet(0.0)
    gate.read_done()
    assert not gate.quiet(3600.0)  # one just ended
    assert gate.quiet(0.0)
