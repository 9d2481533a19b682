"""Worker threads survive whatever a job raises, and a dead one is noticed and replaced."""

from __future__ import annotations

import threading

import msgpack
import pytest

from sidecar.rpc.scheduler import WRITE, Job, Scheduler
from sidecar.rpc.workers import Results
from sidecar.testing.waiting import wait_until
from tests.rpc.pools import running_pool


@pytest.fixture
def pool():
    with running_pool(Scheduler(workers=2, capacity=100, per_key=100)) as workers:
        yield workers


def collect(results: Results, count: int) -> list[tuple[bytes, bytes, bytes]]:
    got: list[tuple[bytes, bytes, bytes]] = []
    wait_until(lambda: got.extend(results.take_all()) or len(got) >= count, what=f"{count} results")
    return got


@pytest.mark.parametrize("error", [TypeError("unhashable type: 'list'"), SystemExit(3), KeyboardInterrupt()])
def test_a_job_that_raises_gets_an_internal_reply_and_the_worker_lives(pool, error):
    def explode() -> tuple[bytes, bytes]:
        raise error

    for n in range(6):  # more than the pool has threads
        pool.scheduler.submit(Job(f"t{n}".encode(), f"id-{n}", WRITE, ("k", n), explode))
    replies = collect(pool.results, 6)
    for token, reply, outcome in replies:
        message = msgpack.unpackb(reply, raw=False)
        assert outcome == b"internal" and message["error"]["code"] == "internal"
        assert message["id"] == "id-" + token.decode()[1:]
    assert pool.alive() == 2 and pool.healthy()
    pool.scheduler.submit(Job(b"ok", "id-ok", WRITE, ("k", 0), lambda: (b"fine", b"ok")))
    assert collect(pool.results, 1) == [(b"ok", b"fine", b"ok")]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_makes_the_pool_unhealthy_until_check_replaces_it(pool):
    # kill one thread from inside the loop's machinery (not a job: jobs cannot kill it)
    original = pool.scheduler.take
    killed = threading.Event()

    def take_once_fatally(timeout: float):
        if not killed.is_set():
            killed.set()
            raise RuntimeError("scheduler bug")
        return original(timeout)

    pool.scheduler.take = take_once_fatally  # type: ignore[method-assign]
    wait_until(lambda: pool.alive() == 1, what="one worker to die")
    assert not pool.healthy()
    assert pool.check() == 1
    assert pool.alive() == 2 and pool.healthy() and pool.replaced == 1
