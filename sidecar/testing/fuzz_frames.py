"""Malformed request frames for fuzzing a running daemon, and a driver that checks every reply.

The frames cover what an attacker or a broken client can send: bytes that are
not msgpack, truncated msgpack, maps that are not requests, wrong types in
every envelope field (``v``, ``id``, ``op``, ``args``), known ops with a wrong
type in each of their arguments, deep nesting, huge strings, unknown ops, and
path-like and unicode ids. Every frame must get a reply that carries ``ok`` or
a stable error code; frames are kept under the hard frame cap (larger ones are
dropped by libzmq and get no reply by design).

Used by ``tests/rpc/test_fuzz.py`` (10,000 frames) and ``bench/fuzz.py`` (100,000).
Nothing heavy is imported here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack
import zmq

from sidecar_shared import protocol
from sidecar_shared.protocol import Code

STABLE_CODES = frozenset(value for name, value in vars(Code).items() if name.isupper())

# each op's argument names (what the daemon reads); every one gets wrong types in turn
OP_ARGS: dict[str, tuple[str, ...]] = {
    "add": ("messages", "user_id", "agent_id", "run_id", "metadata", "infer"),
    "search": ("query", "filters", "top_k", "threshold"),
    "get": ("memory_id",),
    "get_all": ("filters", "top_k"),
    "update": ("memory_id", "text", "metadata"),
    "delete": ("memory_id",),
    "delete_all": ("user_id", "agent_id", "run_id"),
    "history": ("memory_id",),
    "context": ("query", "user_id", "session_id", "agent_id", "budget_tokens", "workspace"),
    "session.update": ("session_id", "messages", "user_id", "agent_id"),
    "session.show": ("session_id",),
    "session.clear": ("session_id",),
    "ingest": ("paths", "agent", "wait"),
    "ingest.progress": ("job_ids",),
    "export": ("filters", "offset", "limit"),
    "import": ("records",),
}
HUGE_VALID_SHARE = 0.004  # well-formed requests with one huge text field (each one costs real work)

ODD_IDS = ("../../etc/passwd", "a/b", "a\\b", ".", "..", "alice.", "/abs/path", "名前", "ünï", "🙂", "a" * 300,
           "x\ny", "tab\there", "nul\x00", "\u2028", " ", "", "CON", "a:b", "%2e%2e", "~root")


def deep(depth: int) -> Any:
    value: Any = "leaf"
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


def huge_text(rng: random.Random, kind: str) -> str:
    """100-400k characters: one long run of a letter (``run``), words (``words``), or either (``mixed``)."""
    size = rng.randrange(100_000, 400_000)
    if kind == "words" or (kind == "mixed" and rng.random() < 0.5):
        return ("lorem ipsum dolor " * (size // 18 + 1))[:size]
    return rng.choice("xa1_") * size


def wrong_value(rng: random.Random, huge: str = "mixed") -> Any:
    """A value of a type no argument expects, or an odd one of the right type."""
    choice = rng.randrange(16)
    return [
        lambda: [rng.choice(ODD_IDS)],
        lambda: {"nested": rng.choice(ODD_IDS)},
        lambda: rng.randint(-(2 ** 63), 2 ** 64 - 1),
        lambda: rng.random() * 1e300,
        lambda: rng.choice([True, False]),
        lambda: None,
        lambda: rng.randbytes(rng.randrange(0, 64)),
        lambda: huge_text(rng, huge),
        lambda: deep(rng.randrange(50, 120)),
        lambda: rng.choice(ODD_IDS),
        lambda: float("nan"),
        lambda: [[1, 2], {"a": None}],
        lambda: {"user_id": [1], "AND": [{"user_id": "x"}]},
        lambda: -1,
        lambda: "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 40))),
        lambda: msgpack.ExtType(rng.randrange(0, 127), rng.randbytes(4)),
    ][choice]()


@dataclass
class Outcome:
    """What a fuzz run saw."""

    sent: int = 0
    answered: int = 0
    unanswered: int = 0
    stalled_at: int | None = None  # frame number after which the daemon stopped answering
    bad_replies: list[str] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class FrameMaker:
    """Generates ``(frame, request id or None)`` pairs from a seeded RNG."""

    def __init__(self, seed: int, huge: str = "mixed") -> None:
        self.rng = random.Random(seed)
        self.huge = huge
        self._n = 0

    def _id(self) -> str:
        self._n += 1
        return f"fz-{self._n}"

    def __iter__(self) -> Iterator[tuple[bytes, str | None]]:
        makers = [self.not_msgpack, self.truncated, self.not_a_map, self.bad_envelope, self.bad_args,
                  self.bad_args, self.bad_args, self.deep_frame, self.unknown_op, self.odd_ids]
        while True:
            if self.rng.random() < HUGE_VALID_SHARE:
                yield self.huge_valid()
            else:
                yield self.rng.choice(makers)()

    def _pack(self, message: dict[str, Any]) -> bytes:
        return msgpack.packb(message, use_bin_type=True)

    def not_msgpack(self) -> tuple[bytes, str | None]:
        return b"\xc1" + self.rng.randbytes(self.rng.randrange(0, 200)), None

    def truncated(self) -> tuple[bytes, str | None]:
        full = self._pack(protocol.request(self.rng.choice(list(OP_ARGS)), {"user_id": "fz", "query": "q" * 50},
                                           self._id()))
        return full[: self.rng.randrange(1, len(full))], None

    def not_a_map(self) -> tuple[bytes, str | None]:
        return self._pack(self.rng.choice([[1, 2, 3], "text", 42, None, 1.5, b"raw", True])), None  # type: ignore[arg-type]

    def bad_envelope(self) -> tuple[bytes, str | None]:
        message: dict[str, Any] = {"v": 1, "id": self._id(), "op": self.rng.choice(list(OP_ARGS)), "args": {}}
        field_name = self.rng.choice(["v", "id", "op", "args"])
        message[field_name] = self.rng.choice([1.0, True, "1", None, 2, 0, -1, [1], {"v": 1}, "x\nforged=1",
                                               "", "a" * 200, b"bytes", "\u2028", wrong_value(self.rng, self.huge)])
        if field_name != "v" and self.rng.random() < 0.5:
            del message[field_name]
        request_id = message.get("id") if field_name != "id" else None
        return self._pack(message), request_id

    def bad_args(self) -> tuple[bytes, str | None]:
        op = self.rng.choice(list(OP_ARGS))
        args: dict[str, Any] = {"user_id": "fz-user", "memory_id": "fz-missing", "session_id": "fz-session",
                                "filters": {"user_id": "fz-user"}, "query": "q", "messages": "m"}
        for name in self.rng.sample(OP_ARGS[op], self.rng.randint(1, len(OP_ARGS[op]))):
            args[name] = wrong_value(self.rng, self.huge)
        if op in ("add", "session.update", "import", "ingest", "update") and self.rng.random() < 0.8:
            args["messages" if op != "import" else "records"] = wrong_value(self.rng, self.huge)  # rarely a valid write
        request_id = self._id()
        frame = self._pack(protocol.request(op, args, request_id))
        if len(frame) > protocol.HARD_FRAME_LIMIT:
            return self.not_msgpack()
        return frame, request_id

    def huge_valid(self) -> tuple[bytes, str | None]:
        """A well-formed request whose one text field is huge: it reaches the op, its checks and scanners."""
        text = huge_text(self.rng, self.huge)
        op, args = self.rng.choice([
            ("add", {"messages": text, "user_id": "fz-huge"}),
            ("add", {"messages": [{"role": "user", "content": text}], "user_id": "fz-huge", "infer": True}),
            ("session.update", {"session_id": "fz-huge", "messages": [{"role": "user", "content": text}]}),
            ("update", {"memory_id": "fz-missing", "text": text[:99_000]}),
            ("context", {"query": text[:19_000], "user_id": "fz-huge"}),
            ("search", {"query": text[:19_000], "filters": {"user_id": "fz-huge"}}),
        ])
        request_id = self._id()
        return self._pack(protocol.request(op, args, request_id)), request_id

    def deep_frame(self) -> tuple[bytes, str | None]:
        depth = self.rng.choice([100, 1000, 5000, 100_000])
        return b"\x91" * depth + b"\xc0", None  # arrays of one element, nested

    def unknown_op(self) -> tuple[bytes, str | None]:
        request_id = self._id()
        name = self.rng.choice(["frobnicate", "ADD", "add ", "search\n", "../x", "名", "x" * 64, "ping\x00",
                                "__class__", "status.", "session.", "delete_all2"])
        return self._pack(protocol.request(name, {"user_id": "fz"}, request_id)), request_id

    def odd_ids(self) -> tuple[bytes, str | None]:
        op = self.rng.choice(["search", "get_all", "get", "history", "delete", "update", "session.show",
                              "session.clear", "context", "delete_all"])
        odd = self.rng.choice(ODD_IDS)
        args = {"user_id": odd, "memory_id": odd, "session_id": odd, "filters": {"user_id": odd},
                "query": "anything", "text": "t"}
        request_id = self._id()
        return self._pack(protocol.request(op, args, request_id)), request_id


def check_reply(raw: bytes, request_id: str | None) -> str:
    """The reply's outcome (``ok`` or its code); raises ValueError if it is not a stable reply."""
    reply = msgpack.unpackb(raw, raw=False)
    if not isinstance(reply, dict) or reply.get("v") != 1:
        raise ValueError(f"not a reply: {reply!r:.200}")
    if request_id is not None and reply.get("id") != request_id:
        raise ValueError(f"reply id {reply.get('id')!r} for request {request_id!r}")
    if reply.get("ok") is True:
        return "ok"
    code = (reply.get("error") or {}).get("code")
    if code not in STABLE_CODES:
        raise ValueError(f"unstable error code {code!r}")
    return code


def run_fuzz(endpoint: str, count: int, seed: int, *, window: int = 8, reply_timeout_s: float = 60.0,
             huge: str = "mixed", max_unanswered: int = 3) -> Outcome:
    """Send ``count`` frames to ``endpoint``, at most ``window`` unanswered at a time, and check each reply.

    Each frame goes on its own DEALER connection slot in turn, so a reply is matched to its frame by order
    on that connection. A frame unanswered within ``reply_timeout_s`` counts as unanswered; after
    ``max_unanswered`` of them the run stops (:attr:`Outcome.stalled_at`): the daemon stopped answering.
    """
    context = zmq.Context.instance()
    sockets = []
    for _ in range(window):
        sock = context.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(endpoint)
        sockets.append(sock)
    outcome = Outcome()
    started = time.monotonic()
    frames = iter(FrameMaker(seed, huge))
    try:
        while outcome.sent < count and outcome.unanswered < max_unanswered:
            batch = []
            for sock in sockets:
                if outcome.sent >= count:
                    break
                frame, request_id = next(frames)
                sock.send(frame)
                outcome.sent += 1
                batch.append((sock, request_id))
            for sock, request_id in batch:
                if not sock.poll(int(reply_timeout_s * 1000)):
                    outcome.unanswered += 1
                    if outcome.stalled_at is None:
                        outcome.stalled_at = outcome.sent
                    continue
                try:
                    code = check_reply(sock.recv(), request_id)
                except ValueError as exc:
                    outcome.bad_replies.append(str(exc))
                    continue
                outcome.answered += 1
                outcome.codes[code] = outcome.codes.get(code, 0) + 1
    finally:
        for sock in sockets:
            sock.close()
    outcome.seconds = time.monotonic() - started
    return outcome
