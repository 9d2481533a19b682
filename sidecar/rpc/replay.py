"""Replays the first result of a write whose request id was already seen.

A client that timed out resends the same request id; the daemon must not
apply the write twice. Lives in the socket thread only, so it needs no lock.
"""

from __future__ import annotations

from collections import OrderedDict


class ReplayCache:
    """Request id -> packed reply for completed writes, and waiters for running ones."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._done: OrderedDict[str, bytes] = OrderedDict()
        self._running: dict[str, list[list[bytes]]] = {}
        self._capacity = capacity
        self.replays = 0

    def seen(self, request_id: str, envelope: list[bytes]) -> bytes | bool:
        """The cached reply, True if the request is running (envelope now waits on it), else False."""
        if request_id in self._done:
            self._done.move_to_end(request_id)
            self.replays += 1
            return self._done[request_id]
        waiters = self._running.get(request_id)
        if waiters is not None:
            waiters.append(envelope)
            self.replays += 1
            return True
        return False

    def start(self, request_id: str) -> None:
        self._running[request_id] = []

    def finish(self, request_id: str, reply: bytes, cache: bool) -> list[list[bytes]]:
        """Record the reply (if ``cache``); return the envelopes of retries that wait for it."""
        waiters = self._running.pop(request_id, [])
        if cache:
            self._done[request_id] = reply
            while len(self._done) > self._capacity:
                self._done.popitem(last=False)
        return waiters
