"""A stand-in for Ollama's REST API with *streaming* chat, for the demo agent and showcase tests.

tests/fakes/ollama_server.py answers /api/chat only without streaming; this one
serves ``GET /api/tags`` and ``POST /api/chat`` with ``stream: true`` as NDJSON
lines (one content piece per line, then a ``done`` line), the way Ollama does.
It records every chat request body so tests can check the prompt and options.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base-class signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path == "/api/tags":
            self._json(200, {"models": [{"name": m, "model": m} for m in self.server.models]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path != "/api/chat":
            self._json(404, {"error": "not found"})
            return
        self.server.chat_requests.append(body)
        if body.get("model") not in self.server.models:
            self._json(404, {"error": f"model '{body.get('model')}' not found, try pulling it first"})
            return
        pieces = list(self.server.reply_pieces)
        lines = [{"model": body["model"], "message": {"role": "assistant", "content": p}, "done": False}
                 for p in pieces]
        lines.append({"model": body["model"], "message": {"role": "assistant", "content": ""}, "done": True,
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

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    models: list[str]
    reply_pieces: list[str]
    chat_requests: list[dict[str, Any]]


class StreamingOllama:
    """Context manager: ``with StreamingOllama(models=[...], reply=[...]) as fake: fake.url``."""

    def __init__(self, models: list[str] | None = None, reply: list[str] | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.models = list(models or ["llama3.2:1b"])
        self._server.reply_pieces = list(reply or ["Try ", "a quiet ", "Thai ", "place."])
        self._server.chat_requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, name="ollama-stand-in", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return self._server.chat_requests

    def __enter__(self) -> "StreamingOllama":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
