"""Which queued request a free worker runs next: two lanes, one queue per key, round robin.

* **Reads** queue per client connection and never wait for a lock: a client that
  pipelines a thousand searches only delays its own.
* **Writes** queue per serialisation key (a scope, a session, a memory), and a
  key runs on at most one worker at a time. A worker therefore never blocks on
  a lock another worker holds: a key that is running is simply not picked, and
  the next ready key is served instead. One user's burst of writes occupies one
  worker, not all of them.
* Writes may use at most ``workers - 1`` workers, so one worker is always free
  for reads; a free worker takes a read first unless reads already have one.

Each key may hold ``per_key`` waiting requests and each lane ``capacity``; past
that :meth:`Scheduler.submit` refuses (the server replies ``busy``), so a burst
fills its own queue, not its neighbours'.

The scheduler tells its :class:`~sidecar.rpc.priority.ReadsFirst` when a read is
admitted; whoever answers it says when its reply has left (the server, once sent:
:mod:`sidecar.rpc.inflight`), so write work already running pauses at its next
checkpoint (before each call into Chroma, each model run) until then.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sidecar.rpc.priority import ReadsFirst

READ = "read"
WRITE = "write"


@dataclass(eq=False)
class Job:
    """One admitted request: ``work`` returns the packed reply and a short outcome for the log."""

    token: bytes
    request_id: str
    lane: str
    key: Hashable
    work: Callable[[], tuple[bytes, bytes]]
    refine: Callable[[], Hashable | None] | None = None
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float = 0.0


class _Lane:
    """Per-key FIFO queues and the round-robin order of the keys that may run next."""

    def __init__(self, exclusive: bool) -> None:
        self.exclusive = exclusive  # a key runs on one worker at a time
        self.queues: dict[Hashable, deque[Job]] = {}
        self.ready: deque[Hashable] = deque()
        self.running_keys: set[Hashable] = set()
        self.waiting = 0
        self.running = 0

    def push(self, job: Job) -> None:
        queue = self.queues.get(job.key)
        if queue is None:
            queue = self.queues[job.key] = deque()
            if job.key not in self.running_keys:
                self.ready.append(job.key)
        queue.append(job)
        self.waiting += 1

    def pop(self) -> Job:
        key = self.ready.popleft()
        queue = self.queues[key]
        job = queue.popleft()
        self.waiting -= 1
        self.running += 1
        if not queue:
            del self.queues[key]
        elif not self.exclusive:
            self.ready.append(key)  # its next request waits for the other keys' turn
        if self.exclusive:
            self.running_keys.add(key)
        return job

    def release(self, key: Hashable) -> None:
        self.running -= 1
        if self.exclusive:
            self.running_keys.discard(key)
            if key in self.queues:
                self.ready.append(key)

    def claim(self, key: Hashable) -> bool:
        """Make a running job hold ``key`` too; False if another job holds or waits for it."""
        if key in self.running_keys or key in self.queues:
            return False
        self.running_keys.add(key)
        return True

    def drain(self) -> list[Job]:
        jobs = [job for queue in self.queues.values() for job in queue]
        self.queues.clear()
        self.ready.clear()
        self.waiting = 0
        return jobs


class Scheduler:
    """Thread-safe: the socket thread submits, worker threads :meth:`take` and report :meth:`done`."""

    def __init__(self, workers: int, capacity: int, per_key: int, priority: ReadsFirst | None = None) -> None:
        self.priority = priority or ReadsFirst()
        self._cond = threading.Condition()
        self._lanes = {READ: _Lane(exclusive=False), WRITE: _Lane(exclusive=True)}
        self._write_cap = max(1, workers - 1)
        self._capacity = capacity
        self._per_key = max(1, min(per_key, capacity))
        self._running: set[Job] = set()
        self._closed = False
        self.refused = {READ: 0, WRITE: 0}

    # -- the socket thread ------------------------------------------------------

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False (counted in :attr:`refused`) when its lane or its key is full, or when closed."""
        with self._cond:
            lane = self._lanes[job.lane]
            if self._closed or lane.waiting >= self._capacity or \
                    len(lane.queues.get(job.key, ())) >= self._per_key:
                self.refused[job.lane] += 1
                return False
            lane.push(job)
            if job.lane == READ:
                self.priority.read_queued()
            self._cond.notify()
            return True

    def close(self) -> list[Job]:
        """Take no more jobs; return the queued ones (never started) so they can be answered."""
        with self._cond:
            self._closed = True
            jobs = [job for lane in self._lanes.values() for job in lane.drain()]
            self._cond.notify_all()
            return jobs

    # -- worker threads ---------------------------------------------------------

    def take(self, timeout: float) -> Job | None:
        """The next job to run, or None after ``timeout`` seconds without one (or once closed and idle)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                job = self._pick()
                if job is not None:
                    job.started_at = time.monotonic()
                    self._running.add(job)
                    return job
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def _pick(self) -> Job | None:
        reads, writes = self._lanes[READ], self._lanes[WRITE]
        if reads.ready and reads.running == 0:
            return reads.pop()  # the read lane: never empty while reads wait
        if writes.ready and writes.running < self._write_cap:
            return writes.pop()
        if reads.ready:
            return reads.pop()
        return None

    def refine(self, job: Job, key: Hashable | None) -> bool:
        """Move a running write to the finer ``key``; False if that key is busy: the job then waits in
        its queue (ahead of nothing it overtook) and the worker should take another one."""
        if key is None or key == job.key or job.lane != WRITE:
            return True
        with self._cond:
            lane = self._lanes[WRITE]
            if lane.claim(key):
                lane.running_keys.discard(job.key)
                if job.key in lane.queues:
                    lane.ready.append(job.key)
                job.key = key
                return True
            self._running.discard(job)
            lane.release(job.key)
            job.key, job.refine = key, None
            lane.push(job)
            self._cond.notify_all()
            return False

    def done(self, job: Job) -> None:
        """``job`` finished (or failed): its key may run again.

        Idle workers are woken only when some job is ready to run: a finished read with
        nothing queued (a search's usual end) wakes nobody, where waking every idle worker
        to find nothing cost each of them a futex wake, the GIL and a turn of :meth:`take`.
        """
        with self._cond:
            if job in self._running:
                self._running.discard(job)
                self._lanes[job.lane].release(job.key)
                if self._lanes[READ].ready or self._lanes[WRITE].ready:
                    self._cond.notify_all()

    # -- figures ------------------------------------------------------------------

    def depth(self) -> int:
        with self._cond:
            return sum(lane.waiting for lane in self._lanes.values())

    def in_flight(self) -> int:
        with self._cond:
            return len(self._running)

    def oldest_running_s(self) -> float:
        """How long the longest-running job has run (0 when none runs): a stuck op shows here."""
        with self._cond:
            starts = [job.started_at for job in self._running]
        return round(time.monotonic() - min(starts), 3) if starts else 0.0

    def figures(self) -> dict[str, object]:
        with self._cond:
            figures: dict[str, object] = {
                lane_name: {"waiting": lane.waiting, "running": lane.running, "keys": len(lane.queues),
                            "refused_busy": self.refused[lane_name]}
                for lane_name, lane in self._lanes.items()}
        figures["write_pauses_for_reads"] = self.priority.pauses  # checkpoints where write work let reads go first
        return figures
