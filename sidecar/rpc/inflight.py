"""Requests in flight: what the socket thread keeps of each submitted request until its reply leaves.

A read counts as in progress (:class:`~sidecar.rpc.priority.ReadsFirst`) from the
moment it is queued until its reply has been *sent*, not merely computed: between
the two the socket thread still needs the GIL to send it, and write work that
resumed at that moment would start a Chroma call that keeps the GIL for tens of
milliseconds while the finished reply waits (see :mod:`sidecar.store.chroma_gate`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sidecar.rpc.priority import ReadsFirst
from sidecar_shared import protocol
from sidecar_shared.protocol import Code


@dataclass
class Pending:
    """One submitted request: where its reply goes and what the access log says about it."""

    envelope: list[bytes]
    request_id: str
    op: str
    scope: str
    started: float
    write: bool


class InFlight:
    """Submitted requests by token; a read's end is told to ``reads_first`` once its reply was sent."""

    def __init__(self, reads_first: ReadsFirst) -> None:
        self._pending: dict[bytes, Pending] = {}
        self._tokens = (str(n).encode() for n in itertools.count())
        self._reads_first = reads_first

    def add(self, pending: Pending) -> bytes:
        """Keep ``pending``; its new token."""
        token = next(self._tokens)
        self._pending[token] = pending
        return token

    def refused(self, token: bytes) -> None:
        """The scheduler refused it (never queued, so never counted as a read)."""
        self._pending.pop(token, None)

    def take(self, token: bytes) -> Pending | None:
        """The request whose reply is about to be sent (None if unknown); :meth:`sent` follows."""
        return self._pending.pop(token, None)

    def sent(self, pending: Pending) -> None:
        """Its reply has left: a read no longer holds write work back."""
        if not pending.write:
            self._reads_first.read_done()

    def __len__(self) -> int:
        return len(self._pending)


def refusal_reply(request_id: str) -> bytes:
    """The reply to a queued request that the daemon will not run because it is shutting down."""
    return protocol.pack(protocol.error(request_id, Code.SHUTTING_DOWN,
                                        "the daemon is shutting down; this request was not run, retry once it is back"))
