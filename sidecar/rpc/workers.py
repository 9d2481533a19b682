"""A bounded pool of worker threads; results return to the socket thread over inproc.

The socket-owning thread never runs store work: it only enqueues. A full queue
is refused at once (the caller replies ``busy``) instead of growing without bound.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from typing import Any, Iterator

import zmq

RESULTS_ENDPOINT = "inproc://sidecar-results"


class KeyedLocks:
    """One re-entrant lock per key, created on demand and dropped when nobody holds or waits on it.

    Re-entrant so a caller holding a scope (the write gate deciding and applying)
    may call store methods that take the same scope again.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list[Any]] = {}  # key -> [lock, users]

    @contextmanager
    def hold(self, key: Hashable | None) -> Iterator[None]:
        if key is None:
            yield
            return
        with self._guard:
            entry = self._locks.setdefault(key, [threading.RLock(), 0])
            entry[1] += 1
        entry[0].acquire()
        try:
            yield
        finally:
            entry[0].release()
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]


class WorkerPool:
    """Runs ``work()`` callables; each finished job pushes ``[token, reply, outcome]`` to the results socket.

    ``work`` returns the packed reply frame and a short outcome for the log; the pool only moves bytes.
    """

    def __init__(self, context: zmq.Context, workers: int, queue_size: int) -> None:
        self._context = context
        self._queue: queue.Queue[tuple[bytes, Hashable | None, Callable[[], tuple[bytes, bytes]]] | None] = \
            queue.Queue(maxsize=queue_size)
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
        """Queue a job; False when the queue is full."""
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
                job = self._queue.get()
                if job is None:
                    return
                token, key, work = job
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

    def stop(self, timeout: float) -> bool:
        """Let queued and running jobs finish, then end the threads; False if some did not end in time."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)
