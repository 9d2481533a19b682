"""Whether a frame becomes a job: its envelope, its op and its key arguments, checked on the socket thread.

Everything here is cheap and never touches the store: a frame is decoded and
validated, its op looked up, and the op's serialisation key computed, which
checks the arguments the key reads (a list as ``user_id`` is refused here,
before it could reach a worker). The result is either :class:`Admitted` or
:class:`Refused`, with the stable code the client hears.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Op, OpTable, op_key
from sidecar.rpc.replay import request_digest
from sidecar_shared import protocol
from sidecar_shared.protocol import Code, ProtocolError

PING = "ping"
UNKNOWN = "(unknown)"  # how an unknown op name is logged and timed: client-chosen names stay out of the figures


@dataclass(frozen=True)
class Admitted:
    request_id: str
    name: str
    op: Op | None  # None for ping
    args: dict[str, Any]
    key: Hashable | None = None
    digest: bytes = b""  # of the whole frame, for writes: a resend must match it


@dataclass(frozen=True)
class Refused:
    request_id: str | None
    name: str  # as logged: a known op name, "?" or UNKNOWN
    code: str
    message: str


def admit(frame: bytes, ops: OpTable, *, draining: bool) -> Admitted | Refused:
    """Check one request frame; ``ping`` is admitted (with no op) even while draining."""
    try:
        request = protocol.parse_request(frame)
    except ProtocolError as exc:
        return Refused(protocol.peek_id(frame), "?", exc.code, exc.message)
    request_id, name, args = request["id"], request["op"], request["args"]
    if name == PING:
        return Admitted(request_id, name, None, args)
    op = ops.get(name)
    if draining:
        return Refused(request_id, name if op else UNKNOWN, Code.SHUTTING_DOWN,
                       "the daemon is shutting down; retry once it is back")
    if op is None:
        known = ", ".join([PING, *ops.names()])
        return Refused(request_id, UNKNOWN, Code.UNKNOWN_OP,
                       f"unknown op {protocol.printable(name, 64)!r}; this daemon answers: {known}")
    try:
        key = op_key(op, args)
    except OpError as exc:
        return Refused(request_id, name, exc.code, exc.message)
    return Admitted(request_id, name, op, args, key, request_digest(frame) if op.write else b"")
