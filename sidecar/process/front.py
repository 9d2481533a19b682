"""The socket while the daemon loads: bound at once, answers ``ping`` and ``status``, holds the rest.

Importing mem0 and chromadb and loading the models takes seconds on an idle
machine and minutes on a loaded one. So the daemon binds its socket first and
builds its parts on a background thread; meanwhile this front answers ``ping``
and ``status`` with ``state: starting`` and keeps every other request's frames,
in arrival order, for the server (:meth:`sidecar.rpc.server.Server.serve` takes
the bound socket and the held frames). A client sending ``search`` during the
load therefore just waits for its reply. Past :data:`HOLD_LIMIT` held frames,
new ones are answered ``busy``, which the client's retry handles.

Nothing heavy is imported here: the front must answer within the first half second.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

from sidecar import __version__
from sidecar.process import loading, notify
from sidecar_shared import protocol
from sidecar_shared.paths import AppPaths
from sidecar_shared.protocol import Code, ProtocolError

log = logging.getLogger("sidecar.process.front")
POLL_MS = 50
HOLD_LIMIT = 10_000
STARTING = "starting"
ANSWERED_HERE = ("ping", "status")


class StartFront:
    """A bound ROUTER socket answering ``ping``/``status`` until :meth:`run_until` returns."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.context = zmq.Context()
        self.context.linger = 0
        self.router = self.context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.MAXMSGSIZE, protocol.HARD_FRAME_LIMIT)
        self.router.bind(paths.endpoint)
        self.started = time.monotonic()
        self.held: list[list[bytes]] = []
        self.exit_requested = False
        self.answered = 0

    def request_exit(self, *_: object) -> None:
        self.exit_requested = True

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT during the load end the start; SIGHUP is ignored until the daemon serves."""
        signal.signal(signal.SIGTERM, self.request_exit)
        signal.signal(signal.SIGINT, self.request_exit)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def status(self) -> dict[str, Any]:
        """What ``status`` answers while loading."""
        return {"state": STARTING, "version": __version__, "pid": os.getpid(), "socket": str(self.paths.socket_path),
                "uptime_s": round(time.monotonic() - self.started, 3), "held_requests": len(self.held)}

    def run_until(self, done: threading.Event | Callable[[], bool]) -> None:
        """Serve until ``done`` is set or an exit is requested (a signal)."""
        finished = done.is_set if isinstance(done, threading.Event) else done
        watchdog = notify.watchdog_interval()
        next_ping = next_extend = time.monotonic()
        while not self.exit_requested and not finished():
            if self.router.poll(POLL_MS, zmq.POLLIN):
                self._take_all()
            now = time.monotonic()
            if watchdog and now >= next_ping:
                notify.watchdog_ping()
                next_ping = now + watchdog
            if now >= next_extend:  # loading progresses: keep systemd's TimeoutStartSec from firing
                notify.notify(f"EXTEND_TIMEOUT_USEC={int(loading.EXTEND_BY_S * 1_000_000)}",
                              "STATUS=starting: loading the memory store")
                next_extend = now + loading.EXTEND_EVERY_S

    def _take_all(self) -> None:
        for _ in range(1000):
            try:
                frames = self.router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                self._take(frames)
            except Exception:  # a bug here must cost one request, never the start
                log.exception("request could not be handled during start-up")

    def _take(self, frames: list[bytes]) -> None:
        envelope, frame = frames[:-1], frames[-1]
        try:
            request = protocol.parse_request(frame)
        except ProtocolError:
            request = None  # held: the server refuses it with the right code once it runs
        name = request["op"] if request is not None else None
        if request is not None and name in ANSWERED_HERE:
            body = {"pong": True, "pid": os.getpid(), "state": STARTING} if name == "ping" else self.status()
            self._send(envelope, protocol.ok(request["id"], body))
            self.answered += 1
        elif len(self.held) >= HOLD_LIMIT:
            self._send(envelope, protocol.error(protocol.peek_id(frame), Code.BUSY,
                                                "the daemon is starting and holds too many requests; retry shortly"))
        else:
            self.held.append(frames)

    def refuse_held(self, code: str, message: str) -> None:
        """Answer every held request with ``code`` (the start failed or was stopped)."""
        for frames in self.held:
            self._send(frames[:-1], protocol.error(protocol.peek_id(frames[-1]), code, message))
        self.held = []

    def take_held(self) -> list[list[bytes]]:
        """Hand the held frames over (to the server), oldest first."""
        held, self.held = self.held, []
        return held

    def _send(self, envelope: list[bytes], message: dict[str, Any]) -> None:
        try:
            self.router.send_multipart([*envelope, protocol.pack(message)], zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # the peer is gone: its reply is lost, nobody else's
            log.debug("reply not sent: %s", exc)

    def close(self, linger_ms: int = 2000) -> None:
        """Close the socket (replies already sent get ``linger_ms`` to leave) and the context."""
        self.router.close(linger=linger_ms)
        self.context.term()
