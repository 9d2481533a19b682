"""The wire protocol, defined once on the light side; the daemon imports it.

Every message is one msgpack map in one ZeroMQ frame.

* request: ``{"v": 1, "id": str, "op": str, "args": {...}}``
* success: ``{"v": 1, "id": str, "ok": True, "result": ...}``
* failure: ``{"v": 1, "id": str, "ok": False, "error": {"code": str, "message": str}}``

Error codes are stable; clients may branch on them.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgpack

VERSION = 1
# Requests above the soft cap get a ``too_large`` reply; frames above the hard
# cap (ZMQ_MAXMSGSIZE) are dropped by libzmq before they reach the daemon.
MAX_REQUEST_BYTES = 1 << 20
HARD_FRAME_LIMIT = 8 << 20

# The three ids that scope a memory; every store op names at least one of them.
SCOPE_KEYS = ("user_id", "agent_id", "run_id")


def scope_ids(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str]:
    """The scope ids that are given (non-empty), keyed by name."""
    return {key: value for key, value in zip(SCOPE_KEYS, (user_id, agent_id, run_id)) if value}


class Code:
    """Stable error codes carried in ``error.code``."""

    BAD_FRAME = "bad_frame"          # not msgpack, or not a map
    BAD_VERSION = "bad_version"      # protocol version we do not speak
    BAD_REQUEST = "bad_request"      # missing/ill-typed fields or arguments
    UNKNOWN_OP = "unknown_op"
    MISSING_SCOPE = "missing_scope"  # none of user_id / agent_id / run_id
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    BUSY = "busy"                    # the work queue is full; retry later
    SHUTTING_DOWN = "shutting_down"
    UNAVAILABLE = "unavailable"      # a backend (e.g. Ollama) cannot answer now
    STORE_ERROR = "store_error"      # mem0/Chroma raised
    INTERNAL = "internal"


class ProtocolError(ValueError):
    """A frame or request that does not follow the protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def new_id() -> str:
    return uuid.uuid4().hex


def pack(message: dict[str, Any]) -> bytes:
    """Encode one message; values msgpack cannot carry (datetimes, UUIDs) travel as strings."""
    return msgpack.packb(message, use_bin_type=True, default=str)


def unpack(frame: bytes) -> dict[str, Any]:
    try:
        message = msgpack.unpackb(frame, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ProtocolError(Code.BAD_FRAME, f"frame is not valid msgpack ({exc.__class__.__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError(Code.BAD_FRAME, "frame must be a msgpack map")
    return message


def request(op: str, args: dict[str, Any] | None = None, request_id: str | None = None) -> dict[str, Any]:
    return {"v": VERSION, "id": request_id or new_id(), "op": op, "args": args or {}}


def ok(request_id: str | None, result: Any) -> dict[str, Any]:
    return {"v": VERSION, "id": request_id, "ok": True, "result": result}


def error(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"v": VERSION, "id": request_id, "ok": False, "error": {"code": code, "message": message}}


def parse_request(frame: bytes) -> dict[str, Any]:
    """Decode and validate the envelope of a request; raise :class:`ProtocolError`."""
    if len(frame) > MAX_REQUEST_BYTES:
        raise ProtocolError(
            Code.TOO_LARGE, f"request is {len(frame)} bytes; the limit is {MAX_REQUEST_BYTES}"
        )
    message = unpack(frame)
    if message.get("v") != VERSION:
        raise ProtocolError(
            Code.BAD_VERSION, f"protocol version {message.get('v')!r} not supported; this daemon speaks {VERSION}"
        )
    request_id = message.get("id")
    if not isinstance(request_id, str) or not request_id or len(request_id) > 128:
        raise ProtocolError(Code.BAD_REQUEST, "request 'id' must be a non-empty string (<= 128 chars)")
    if not isinstance(message.get("op"), str):
        raise ProtocolError(Code.BAD_REQUEST, "request 'op' must be a string")
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError(Code.BAD_REQUEST, "request 'args' must be a map")
    message["args"] = args
    return message


def peek_id(frame: bytes) -> str | None:
    """Best-effort request id of a frame that failed validation (for the error reply)."""
    try:
        message = msgpack.unpackb(frame, raw=False)
    except Exception:
        return None
    request_id = message.get("id") if isinstance(message, dict) else None
    return request_id if isinstance(request_id, str) else None
