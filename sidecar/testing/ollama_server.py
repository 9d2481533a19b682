"""A stand-in for Ollama's REST API for tests, yours and ours (shipped with the package: no Ollama binary is needed).

It serves ``/api/version``, ``/api/tags``, ``/api/chat`` (replying with whatever
JSON the test queued; with ``"stream": true`` it streams ``stream_pieces`` as NDJSON
lines, one content piece per line, then a ``done`` line, as Ollama does) and ``/api/embed`` (deterministic unit
vectors derived from a hash of each input) on 127.0.0.1 at a free port, in a
background thread, with TCP_NODELAY on every connection. It can be told to be
"down" (drop connections without answering), "slow" (sleep before answering),
"malformed" (chat content that is not JSON) or "rambling" (a JSON reply that never
ends, cut off at the request's ``num_predict`` with ``done_reason: length``, as a
real model stopped by the cap), and it records every request so tests can assert
on temperature, num_ctx, num_predict, think and format.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EMBED_DIMS = 16


@dataclass
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    body: dict[str, Any] | None


@dataclass
class FakeOllamaState:
    """What the fake serves; tests mutate it between calls."""

    models: list[str] = field(default_factory=lambda: ["qwen2.5:1.5b", "llama3.2:1b"])
    mode: str = "ok"  # ok | down | slow | malformed | rambling
    delay_s: float = 0.0
    chat_replies: deque[Any] = field(default_factory=deque)
    default_reply: Any = field(default_factory=dict)
    stream_pieces: list[str] = field(default_factory=lambda: ["Try ", "a quiet ", "Thai ", "place."])
    requests: list[RecordedRequest] = field(default_factory=list)


def deterministic_vector(text: str, dims: int = EMBED_DIMS) -> list[float]:
    """A unit vector that depends only on ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dims)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [v / norm for v in raw]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base-class signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        state.requests.append(RecordedRequest(method, self.path, body))
        if state.mode == "down":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if state.mode == "slow":
            time.sleep(state.delay_s)
        if self.path == "/api/version":
            self._send(200, {"version": "0.0.0-fake"})
        elif self.path == "/api/tags":
            self._send(200, {"models": [{"name": m, "model": m} for m in state.models]})
        elif self.path == "/api/chat" and method == "POST":
            self._chat(state, body or {})
        elif self.path == "/api/embed" and method == "POST":
            inputs = (body or {}).get("input", [])
            inputs = [inputs] if isinstance(inputs, str) else inputs
            self._send(200, {"model": (body or {}).get("model"), "embeddings": [deterministic_vector(t) for t in inputs]})
        else:
            self._send(404, {"error": "not found"})

    def _chat(self, state: FakeOllamaState, body: dict[str, Any]) -> None:
        model = body.get("model", "")
        if model not in state.models:
            self._send(404, {"error": f"model '{model}' not found"})
            return
        if body.get("stream") is True:
            self._stream(model, state.stream_pieces)
            return
        reply = state.chat_replies.popleft() if state.chat_replies else state.default_reply
        content = "{not json at all" if state.mode == "malformed" else (reply if isinstance(reply, str) else json.dumps(reply))
        done_reason = "stop"
        if state.mode == "rambling":  # about 4 characters a token, stopped by the cap (or at 100k without one)
            limit = (body.get("options") or {}).get("num_predict") or 25_000
            content = ('{"memorize": true, "kind": "personal_fact", "facts": ["' + "and also " * 20_000)[: 4 * limit]
            done_reason = "length"
        self._send(200, {
            "model": model, "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": content},
            "done": True, "done_reason": done_reason, "eval_count": len(content) // 4,
        })

    def _stream(self, model: str, pieces: list[str]) -> None:
        lines = [{"model": model, "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
        lines.append({"model": model, "message": {"role": "assistant", "content": ""}, "done": True,
                      "done_reason": "stop", "eval_count": len(pieces)})
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for line in lines:
            data = (json.dumps(line) + "\n").encode("utf-8")
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeOllamaState


class FakeOllamaServer:
    """Context manager running the fake; ``base_url`` points at it, ``state`` controls it."""

    def __init__(self, models: list[str] | None = None, stream_pieces: list[str] | None = None) -> None:
        self.state = FakeOllamaState()
        if models is not None:
            self.state.models = list(models)
        if stream_pieces is not None:
            self.state.stream_pieces = list(stream_pieces)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-ollama", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeOllamaServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down; afterwards connections to ``base_url`` are refused."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the /api/chat calls received so far."""
        return [r.body or {} for r in self.state.requests if r.path == "/api/chat"]

    def __enter__(self) -> "FakeOllamaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self.stop()
