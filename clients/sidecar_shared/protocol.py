"""The wire protocol, defined once on the light side; the daemon imports it.

Every message is one msgpack map in one ZeroMQ frame.

* request: ``{"v": 1, "id": str, "op": str, "args": {...}}``
* success: ``{"v": 1, "id": str, "ok": True, "result": ...}``
* failure: ``{"v": 1, "id": str, "ok": False, "error": {"code": str, "message": str}}``

Error codes are stable; clients may branch on them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgpack

VERSION = 1
# Requests above the soft cap get a ``too_large`` reply; frames above the hard
# cap (ZMQ_MAXMSGSIZE) are dropped by libzmq before they reach the daemon.
MAX_REQUEST_BYTES = 1 << 20
HARD_FRAME_LIMIT = 8 << 20

# Request ids and op names are printable: they reach log lines, and a newline there would forge one.
MAX_ID_CHARS = 128
MAX_OP_CHARS = 64
# C0/C1 controls, DEL, and the Unicode line/paragraph separators.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

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
    ID_REUSED = "id_reused"          # a write's request id was already used for a different request
    ALREADY_APPLIED = "already_applied"  # a resent write was applied before; its reply is no longer kept
    UNAVAILABLE = "unavailable"      # a backend (e.g. Ollama) cannot answer now
    STORE_ERROR = "store_error"      # mem0/Chroma raised
    STORE_UNAVAILABLE = "store_unavailable"  # the store's server (PostgreSQL) cannot be reached now; retry later
    SECRET_DETECTED = "secret_detected"  # the text to store holds a secret; the message names its kind
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


def has_control_chars(text: str) -> bool:
    """True if ``text`` holds a control character or a line/paragraph separator."""
    return CONTROL_CHARS.search(text) is not None


def printable(value: Any, limit: int = 200) -> str:
    """``value`` as text safe for one log line: control characters escaped, at most ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = CONTROL_CHARS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS and not has_control_chars(value)


def parse_request(frame: bytes) -> dict[str, Any]:
    """Decode and validate the envelope of a request; raise :class:`ProtocolError`.

    ``v`` must be the integer 1 (not ``1.0``, not ``true``); ``id`` and ``op`` must be
    non-empty strings without control characters.
    """
    if len(frame) > MAX_REQUEST_BYTES:
        raise ProtocolError(
            Code.TOO_LARGE, f"request is {len(frame)} bytes; the limit is {MAX_REQUEST_BYTES}"
        )
    message = unpack(frame)
    version = message.get("v")
    if type(version) is not int or version != VERSION:  # noqa: E721 - bool and float must not pass
        raise ProtocolError(
            Code.BAD_VERSION, f"protocol version {_shown(version)} not supported; this daemon speaks {VERSION}"
        )
    if not _valid_id(message.get("id")):
        raise ProtocolError(Code.BAD_REQUEST, f"request 'id' must be a non-empty string of at most "
                                              f"{MAX_ID_CHARS} characters without control characters")
    op = message.get("op")
    if not isinstance(op, str) or not op or len(op) > MAX_OP_CHARS or has_control_chars(op):
        raise ProtocolError(Code.BAD_REQUEST, f"request 'op' must be a non-empty string of at most "
                                              f"{MAX_OP_CHARS} characters without control characters")
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError(Code.BAD_REQUEST, "request 'args' must be a map")
    message["args"] = args
    return message


def _shown(value: Any) -> str:
    """A short, printable rendering of a client's value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def peek_id(frame: bytes) -> str | None:
    """Best-effort request id of a frame that failed validation (for the error reply); None if unusable."""
    if len(frame) > MAX_REQUEST_BYTES:
        return None
    try:
        message = msgpack.unpackb(frame, raw=False)
    except Exception:
        return None
    request_id = message.get("id") if isinstance(message, dict) else None
    return request_id if _valid_id(request_id) else None
