"""The scheduler: reads never wait behind writes, a write key runs on one worker at a time, bounds per key."""

from __future__ import annotations

import itertools
import threading

from sidecar.rpc.scheduler import READ, WRITE, Job, Scheduler
from sidecar.testing.waiting import ready_limit, wait_until

_tokens = itertools.count()


def job(lane: str, key: object, refine=None) -> Job:
    return Job(str(next(_tokens)).encode(), "req", lane, key, lambda: (b"", b"ok"), refine)


def test_a_burst_on_one_scope_takes_one_worker_and_leaves_the_others_to_other_keys():
    scheduler = Scheduler(workers=4, capacity=1000, per_key=1000)
    for _ in range(100):
        assert scheduler.submit(job(WRITE, ("scope", "alice")))
    assert scheduler.submit(job(WRITE, ("scope", "bob")))
    assert scheduler.submit(job(READ, b"conn-2"))
    taken = [scheduler.take(0) for _ in range(4)]
    running = [(j.lane, j.key) for j in taken if j is not None]
    # alice's burst runs once; bob's write and the read run next to it; nobody waits on alice's lock
    assert sorted(running, key=str) == sorted([(WRITE, ("scope", "alice")), (WRITE, ("scope", "bob")),
                                              (READ, b"conn-2")], key=str)
    assert taken.count(None) == 1


def test_a_read_gets_a_worker_even_when_writes_are_ready():
    scheduler = Scheduler(workers=2, capacity=100, per_key=100)
    for user in ("a", "b", "c"):
        scheduler.submit(job(WRITE, ("scope", user)))
    first = scheduler.take(0)
    assert first is not None and first.lane == WRITE
    scheduler.submit(job(READ, b"reader"))
    second = scheduler.take(0)
    assert second is not None and second.lane == READ  # writes may use workers - 1 at most
    assert scheduler.take(0) is None


def test_reads_of_many_connections_take_turns():
    scheduler = Scheduler(workers=1, capacity=100, per_key=100)
    for _ in range(5):
        scheduler.submit(job(READ, b"flooder"))
    scheduler.submit(job(READ, b"other"))
    order = []
    for _ in range(3):
        taken = scheduler.take(0)
        order.append(taken.key)
        scheduler.done(taken)
    assert b"other" in order[:2]


def test_one_key_cannot_fill_the_lane_for_everyone():
    scheduler = Scheduler(workers=2, capacity=10, per_key=3)
    accepted = [scheduler.submit(job(WRITE, ("scope", "burst"))) for _ in range(10)]
    assert accepted == [True] * 3 + [False] * 7
    assert scheduler.submit(job(WRITE, ("scope", "neighbour")))
    assert scheduler.submit(job(READ, b"reader"))
    assert scheduler.figures()[WRITE]["refused_busy"] == 7 and scheduler.figures()[READ]["refused_busy"] == 0


def test_refining_to_a_busy_key_requeues_instead_of_blocking():
    scheduler = Scheduler(workers=4, capacity=10, per_key=10)
    scheduler.submit(job(WRITE, ("scope", "alice")))
    add = scheduler.take(0)
    scheduler.submit(job(WRITE, ("memory", "m1"), refine=lambda: ("scope", "alice")))
    update = scheduler.take(0)
    assert update.key == ("memory", "m1")
    assert scheduler.refine(update, ("scope", "alice")) is False  # it waits behind alice's add
    assert scheduler.take(0) is None
    scheduler.done(add)
    again = scheduler.take(0)
    assert again is update and again.key == ("scope", "alice")


def test_refining_to_a_free_key_keeps_running():
    scheduler = Scheduler(workers=4, capacity=10, per_key=10)
    scheduler.submit(job(WRITE, ("memory", "m1")))
    update = scheduler.take(0)
    assert scheduler.refine(update, ("scope", "bob")) is True
    scheduler.submit(job(WRITE, ("scope", "bob")))
    assert scheduler.take(0) is None  # bob's scope is held by the refined update
    scheduler.done(update)
    assert scheduler.take(0) is not None


def test_close_returns_the_queued_jobs_and_refuses_new_ones():
    scheduler = Scheduler(workers=1, capacity=10, per_key=10)
    for _ in range(3):
        scheduler.submit(job(WRITE, ("scope", "a")))
    running = scheduler.take(0)
    queued = scheduler.close()
    assert len(queued) == 2 and running not in queued
    assert not scheduler.submit(job(READ, b"late"))
    assert scheduler.take(0) is None


class CountingCondition(threading.Condition):
    """A condition that counts the notifications sent to waiting workers, and the workers waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.notified = 0
        self.waiting = 0
        self._all = False

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting += 1
        try:
            return super().wait(timeout)
        finally:
            self.waiting -= 1

    def notify(self, n: int = 1) -> None:
        if not self._all:
            self.notified += 1
        super().notify(n)

    def notify_all(self) -> None:
        self.notified += 1
        self._all = True  # CPython's notify_all calls notify: one notification, counted once
        try:
            super().notify_all()
        finally:
            self._all = False


def test_a_finished_read_with_nothing_queued_wakes_no_idle_worker():
    scheduler = Scheduler(workers=4, capacity=10, per_key=10)
    scheduler._cond = counting = CountingCondition()
    scheduler.submit(job(READ, b"conn"))
    read = scheduler.take(0)
    before = counting.notified
    scheduler.done(read)
    assert counting.notified == before  # a search's usual end: the idle workers sleep on
    scheduler.submit(job(WRITE, ("scope", "a")))
    scheduler.submit(job(WRITE, ("scope", "a")))
    write = scheduler.take(0)
    before = counting.notified
    scheduler.done(write)
    assert counting.notified == before + 1  # the key's next write is ready: workers are woken for it


def test_an_idle_worker_is_woken_when_a_finished_write_frees_the_key_its_job_waits_for():
    scheduler = Scheduler(workers=2, capacity=10, per_key=10)
    scheduler._cond = counting = CountingCondition()
    scheduler.submit(job(WRITE, ("scope", "a")))
    scheduler.submit(job(WRITE, ("scope", "a")))
    first = scheduler.take(0)
    taken: list[Job | None] = []
    waiting = threading.Thread(target=lambda: taken.append(scheduler.take(ready_limit())), daemon=True)
    waiting.start()
    wait_until(lambda: counting.waiting == 1, what="the second worker to wait for work")
    scheduler.done(first)
    waiting.join(ready_limit())
    assert taken and taken[0] is not None and taken[0].key == ("scope", "a") and taken[0] is not first
