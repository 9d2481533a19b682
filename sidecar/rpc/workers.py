"""The worker threads: each takes the next job from the :class:`Scheduler`, runs it, hands back its reply.

A worker survives anything a job does: every exception (``BaseException``
included) becomes an ``internal`` reply, so a malformed request can never end
the thread that ran it. Should a thread still die, :meth:`WorkerPool.check`
(called by the socket thread on every loop) replaces it and counts it, and
:meth:`WorkerPool.healthy` turns false until it is replaced, which ``ping``,
``status`` and the systemd watchdog report.

A worker running a read marks its thread so it never pauses at a write
checkpoint; before a write job it waits while reads are in progress
(:mod:`sidecar.rpc.priority`).

Workers own no ZeroMQ socket: replies travel to the socket thread through
:class:`Results`, a queue plus a pipe its poller watches, so closing the daemon
never waits on a socket a busy worker holds.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque

from sidecar.rpc.priority import prefer_short_slices
from sidecar.rpc.scheduler import READ, Job, Scheduler
from sidecar_shared import protocol
from sidecar_shared.protocol import Code

log = logging.getLogger("sidecar.rpc.workers")
IDLE_POLL_S = 0.2  # how soon an idle worker notices that the pool is closing


class Results:
    """Finished replies, from any thread to the socket thread; :attr:`fd` becomes readable when one waits."""

    def __init__(self) -> None:
        self._items: deque[tuple[bytes, bytes, bytes]] = deque()
        self.fd, self._wake = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._wake, False)

    def put(self, token: bytes, reply: bytes, outcome: bytes) -> None:
        self._items.append((token, reply, outcome))
        try:
            os.write(self._wake, b"\0")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups already: the socket thread will look

    def take_all(self) -> list[tuple[bytes, bytes, bytes]]:
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass
        items = []
        while self._items:
            items.append(self._items.popleft())
        return items

    def close(self) -> None:
        for fd in (self.fd, self._wake):
            try:
                os.close(fd)
            except OSError:
                pass


def crash_reply(job: Job, exc: BaseException) -> tuple[bytes, bytes]:
    """The reply to a job whose run raised past every handler (a bug, not bad input)."""
    message = protocol.error(job.request_id, Code.INTERNAL, f"the request failed unexpectedly ({exc.__class__.__name__})")
    return protocol.pack(message), Code.INTERNAL.encode()


class WorkerPool:
    """``workers`` threads running the scheduler's jobs; replies go to ``results``."""

    def __init__(self, scheduler: Scheduler, workers: int, results: Results) -> None:
        self.scheduler = scheduler
        self.results = results
        self.size = workers
        self.replaced = 0
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = [self._thread(i) for i in range(workers)]

    def _thread(self, index: int) -> threading.Thread:
        return threading.Thread(target=self._loop, name=f"worker-{index}", daemon=True)

    def start(self) -> None:
        prefer_short_slices()
        for thread in self._threads:
            thread.start()

    # -- health -----------------------------------------------------------------

    def alive(self) -> int:
        return sum(thread.is_alive() for thread in self._threads)

    def healthy(self) -> bool:
        """Every worker thread is alive (while the pool is open)."""
        return self._closing.is_set() or self.alive() == self.size

    def check(self) -> int:
        """Replace worker threads that died; returns how many were replaced now."""
        if self._closing.is_set():
            return 0
        replaced = 0
        for index, thread in enumerate(self._threads):
            if thread.ident is not None and not thread.is_alive():
                log.error("worker thread %s died; starting a new one", thread.name)
                self._threads[index] = self._thread(index)
                self._threads[index].start()
                replaced += 1
        self.replaced += replaced
        return replaced

    # -- the worker loop ------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            job = self.scheduler.take(IDLE_POLL_S)
            if job is None:
                if self._closing.is_set():
                    return  # intake closed and nothing left to run
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        reads_first = self.scheduler.priority
        reads_first.running_read(job.lane == READ)
        try:
            if job.lane != READ:
                reads_first.checkpoint()  # a read admitted meanwhile goes first
            if job.refine is not None:
                try:
                    key = job.refine()
                except Exception:  # the op itself reports a missing memory or a store error
                    key = None
                if not self.scheduler.refine(job, key):
                    return  # it waits behind the key it refined to; this worker takes other work
            reply, outcome = job.work()
        except BaseException as exc:  # noqa: BLE001 - one request must never end a worker
            log.exception("request %s failed unexpectedly", protocol.printable(job.request_id))
            reply, outcome = crash_reply(job, exc)
        try:
            self.results.put(job.token, reply, outcome)
        finally:
            # after the reply is handed over: the drain, which waits until nothing runs, then finds it
            self.scheduler.done(job)

    # -- closing ----------------------------------------------------------------------

    def close_intake(self) -> list[Job]:
        """Take no new jobs; return the queued ones (not started). Threads end once idle."""
        self._closing.set()
        return self.scheduler.close()

    def busy(self) -> bool:
        """True while some job is still running."""
        return self.scheduler.in_flight() > 0

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the threads; False if some are still running."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)
