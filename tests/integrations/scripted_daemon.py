"""A scripted stand-in for the memory daemon: a ZeroMQ ROUTER on an ipc socket in a temp SIDECAR_HOME.

Each request is passed to ``answer(request) -> reply | None``; ``None`` drops the
request unanswered (to exercise timeouts and Lazy Pirate resends). Every request
received is recorded in ``requests``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from sidecar.testing.waiting import ready_limit
from sidecar_shared import protocol
from sidecar_shared.paths import AppPaths, app_paths

Answer = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class ScriptedDaemon:
    """Context manager serving ``answer`` on ``home``'s daemon socket."""

    def __init__(self, home: Path, answer: Answer) -> None:
        self.paths: AppPaths = app_paths({"SIDECAR_HOME": str(home)})
        self.paths.runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # clients refuse one open to others
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        sock = zmq.Context.instance().socket(zmq.ROUTER)
        sock.linger = 0
        sock.bind(self.paths.endpoint)
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not sock.poll(50):
                    continue
                identity, frame = sock.recv_multipart()
                request = protocol.unpack(frame)
                self.requests.append(request)
                reply = self.answer(request)
                if reply is not None:
                    sock.send_multipart([identity, protocol.pack(reply)])
        finally:
            sock.close(linger=0)

    def __enter__(self) -> "ScriptedDaemon":
        self._thread.start()
        assert self._ready.wait(ready_limit()), "the scripted daemon did not bind its socket"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(ready_limit())
