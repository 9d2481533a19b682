"""One request as a worker runs it: the op, its error mapping, and the applied-writes check for writes."""

from __future__ import annotations

import logging
from typing import Any

from sidecar.rpc.applied import AppliedWrites
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Op, run
from sidecar_shared import protocol
from sidecar_shared.protocol import Code

log = logging.getLogger("sidecar.rpc.execute")
REPLAYED = b"replayed"


def execute(op: Op, request_id: str, args: dict[str, Any], *, digest: bytes | None = None,
            applied: AppliedWrites | None = None) -> tuple[bytes, bytes]:
    """Run one op; always returns ``(reply frame, outcome)``, never raises.

    For a write with ``applied`` and ``digest``: a request id already applied (before a
    restart, say) is answered from the record instead of being applied again.
    """
    durable = op.write and applied is not None and digest is not None
    if durable:
        earlier = _earlier(applied, request_id, digest)  # type: ignore[arg-type]
        if earlier is not None:
            return earlier
    try:
        message = protocol.ok(request_id, run(op, args))
        outcome = b"ok"
    except OpError as exc:
        message = protocol.error(request_id, exc.code, exc.message)
        outcome = exc.code.encode()
    except Exception as exc:  # pragma: no cover - run() already maps everything
        message = protocol.error(request_id, Code.INTERNAL, f"{exc.__class__.__name__}: {exc}")
        outcome = Code.INTERNAL.encode()
    try:
        reply = protocol.pack(message)
    except Exception as exc:
        fallback = protocol.error(request_id, Code.INTERNAL, f"result could not be encoded: {exc}")
        return protocol.pack(fallback), Code.INTERNAL.encode()
    if durable and outcome == b"ok":
        try:
            applied.record(request_id, digest, op.name, reply)  # type: ignore[union-attr,arg-type]
        except Exception as exc:  # the write is applied; failing to remember it must not fail it
            log.warning("could not record applied request %s: %s", protocol.printable(request_id), exc)
    return reply, outcome


def _earlier(applied: AppliedWrites, request_id: str, digest: bytes) -> tuple[bytes, bytes] | None:
    try:
        found = applied.lookup(request_id)
    except Exception as exc:
        log.warning("could not look up applied request %s: %s", protocol.printable(request_id), exc)
        return None
    if found is None:
        return None
    stored_digest, reply = found
    if stored_digest != digest:
        return refusal(request_id, Code.ID_REUSED), Code.ID_REUSED.encode()
    if reply is None:
        return refusal(request_id, Code.ALREADY_APPLIED), Code.ALREADY_APPLIED.encode()
    return reply, REPLAYED


def refusal(request_id: str, code: str) -> bytes:
    """The packed reply to a write refused because its id was seen before."""
    if code == Code.ID_REUSED:
        text = ("request id already used for a different request; nothing was applied: "
                "send each request with a new id")
    else:
        text = "this request was applied before; its reply is no longer kept, so it was not applied again"
    return protocol.pack(protocol.error(request_id, code, text))
