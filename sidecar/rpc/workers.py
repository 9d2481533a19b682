"""A bounded pool of worker threads; results return to the socket thread over inproc.

The socket-owning thread never runs store work: it only enqueues. A full queue
is refused at once (the caller replies ``busy``) instead of growing without bound.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable


import zmq

from sidecar.keyed_locks import KeyedLocks

RESULTS_ENDPOINT = "inproc://sidecar-results"
IDLE_POLL_S = 0.2  # how soon an idle worker notices that the pool is closing


class WorkerPool:
    """Runs ``work()`` callables; each finished job pushes ``[token, reply, outcome]`` to the results socket.

    ``work`` returns the packed reply frame and a short outcome for the log; the pool only moves bytes.
    """

    def __init__(self, context: zmq.Context, workers: int, queue_size: int) -> None:
        self._context = context
        self._queue: queue.Queue[tuple[bytes, Hashable | None, Callable[[], tuple[bytes, bytes]]]] = \
            queue.Queue(maxsize=queue_size)
        self._closing = threading.Event()
        self._locks = KeyedLocks()
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, name=f"worker-{i}", daemon=True)
                         for i in range(workers)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def submit(self, token: bytes, key: Hashable | None, work: Callable[[], tuple[bytes, bytes]]) -> bool:
        """Queue a job; False when the queue is full or the pool is closing."""
        if self._closing.is_set():
            return False
        try:
            self._queue.put_nowait((token, key, work))
        except queue.Full:
            return False
        return True

    def _loop(self) -> None:
        push = self._context.socket(zmq.PUSH)
        push.linger = 1000
        push.connect(RESULTS_ENDPOINT)
        try:
            while True:
                try:
                    token, key, work = self._queue.get(timeout=IDLE_POLL_S)
                except queue.Empty:
                    if self._closing.is_set():
                        return  # intake closed and nothing left to run
                    continue
                with self._count_lock:
                    self._in_flight += 1
                try:
                    with self._locks.hold(key):
                        reply, outcome = work()
                finally:
                    with self._count_lock:
                        self._in_flight -= 1
                push.send_multipart([token, reply, outcome])
        finally:
            push.close()

    def close_intake(self) -> None:
        """Take no new jobs; each thread ends after the jobs already queued (non-blocking)."""
        self._closing.set()

    def running(self) -> bool:
        """True while a worker thread is still alive."""
        return any(thread.is_alive() for thread in self._threads)

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the threads; False if some are still running."""
        for thread in self._threads:
            thread.join(timeout)
        return not self.running()

    def stop(self, timeout: float) -> bool:
        """Let queued and running jobs finish, then end the threads; False if some did not end in time."""
        self.close_intake()
        return self.join(timeout)
