"""A started two-worker pool over a scheduler, for the rpc tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sidecar.rpc.scheduler import Scheduler
from sidecar.rpc.workers import Results, WorkerPool


@contextmanager
def running_pool(scheduler: Scheduler) -> Iterator[WorkerPool]:
    """Two workers on ``scheduler``, closed and joined afterwards."""
    results = Results()
    workers = WorkerPool(scheduler, 2, results)
    workers.start()
    try:
        yield workers
    finally:
        workers.close_intake()
        workers.join(5)
        results.close()
