"""Replays the first result of a write whose request id was already seen, bounded by bytes.

A client that timed out resends the same request (same id, same bytes); the
daemon must not apply the write twice. Entries are keyed by the request id and
checked against a digest of the whole request: the same id with a different
request is refused (``id_reused``), never answered with the old reply, and the
new write is not silently dropped: its sender hears why it was not applied.

The cache keeps at most ``max_bytes`` of replies (and ``max_entries`` ids); a
reply larger than ``max_entry_bytes`` is remembered by its digest only, so its
resend is answered ``already_applied`` instead of being applied again. What
survives a restart is :class:`sidecar.rpc.applied.AppliedWrites`' job.
Lives in the socket thread only, so it needs no lock.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

ENTRY_OVERHEAD = 160  # bytes of bookkeeping per entry, counted against the bound
DEFAULT_MAX_BYTES = 32 << 20


def request_digest(frame: bytes) -> bytes:
    """The digest a resend must match: of the request exactly as sent."""
    return hashlib.blake2b(frame, digest_size=16).digest()


@dataclass
class Seen:
    """What :meth:`ReplayCache.seen` found: nothing (``new``), a reply to send, or a reason to refuse."""

    state: str  # "new" | "replay" | "waiting" | "reused" | "applied"
    reply: bytes = b""


@dataclass
class _Running:
    digest: bytes
    waiters: list[list[bytes]] = field(default_factory=list)


class ReplayCache:
    """Request id → (digest, packed reply) of completed writes, and the waiting resends of running ones."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = 10_000,
                 max_entry_bytes: int | None = None) -> None:
        self._done: OrderedDict[str, tuple[bytes, bytes | None]] = OrderedDict()
        self._running: dict[str, _Running] = {}
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.max_entry_bytes = max_bytes // 16 if max_entry_bytes is None else max_entry_bytes
        self.bytes = 0
        self.replays = 0

    def __len__(self) -> int:
        return len(self._done)

    def seen(self, request_id: str, digest: bytes, envelope: list[bytes]) -> Seen:
        """Look ``request_id`` up; a resend of a running request now waits for its reply (``waiting``)."""
        done = self._done.get(request_id)
        if done is not None:
            if done[0] != digest:
                return Seen("reused")
            self._done.move_to_end(request_id)
            self.replays += 1
            return Seen("replay", done[1]) if done[1] is not None else Seen("applied")
        running = self._running.get(request_id)
        if running is not None:
            if running.digest != digest:
                return Seen("reused")
            running.waiters.append(envelope)
            self.replays += 1
            return Seen("waiting")
        return Seen("new")

    def start(self, request_id: str, digest: bytes) -> None:
        self._running[request_id] = _Running(digest)

    def finish(self, request_id: str, reply: bytes, cache: bool) -> list[list[bytes]]:
        """Record the reply (if ``cache``); return the envelopes of resends that wait for it."""
        running = self._running.pop(request_id, None)
        if running is None:
            return []
        if cache:
            self._remember(request_id, running.digest, reply)
        return running.waiters

    def _remember(self, request_id: str, digest: bytes, reply: bytes) -> None:
        kept = reply if len(reply) <= self.max_entry_bytes else None
        self._forget(request_id)
        self._done[request_id] = (digest, kept)
        self.bytes += self._size(request_id, kept)
        while self._done and (self.bytes > self.max_bytes or len(self._done) > self.max_entries):
            self._forget(next(iter(self._done)))

    def _forget(self, request_id: str) -> None:
        old = self._done.pop(request_id, None)
        if old is not None:
            self.bytes -= self._size(request_id, old[1])

    @staticmethod
    def _size(request_id: str, reply: bytes | None) -> int:
        return ENTRY_OVERHEAD + len(request_id) + (len(reply) if reply is not None else 0)
