"""The socket while the daemon loads: bound at once, answers ``ping`` and ``status``, holds the rest.

Importing mem0 and chromadb and loading the models takes seconds on an idle
machine and minutes on a loaded one. So the daemon binds its socket first and
builds its parts on a background thread; meanwhile this front answers ``ping``
and ``status`` with ``state: starting`` and keeps every other request's frames,
in arrival order, for the server (:meth:`sidecar.rpc.server.Server.serve` takes
the bound socket and the held frames). A client sending ``search`` during the
load therefore just waits for its reply. Past :data:`HOLD_LIMIT` held frames,
new ones are answered ``busy``, which the client's retry handles.

The store's reads open first (:mod:`sidecar.composition_reads`); from then on the
front hands ``search``, ``get`` and ``get_all`` (held ones too) to :class:`~sidecar.process.early_reads.EarlyReads`
and sends their replies, while writes stay held until the whole daemon is built.
``status`` says how far the load got (``loading``: ``reads`` and ``writes``,
each ``loading`` or ``ready``).

Nothing heavy is imported here: the front must answer within the first half second.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import zmq

from sidecar import __version__
from sidecar.process import loading, notify
from sidecar_shared import protocol
from sidecar_shared.paths import AppPaths
from sidecar_shared.protocol import Code, ProtocolError

if TYPE_CHECKING:
    from sidecar.process.early_reads import EarlyReads
    from sidecar.rpc.dispatch import OpTable

log = logging.getLogger("sidecar.process.front")
POLL_MS = 50
HOLD_LIMIT = 10_000
STARTING = "starting"
LOADING, READY = "loading", "ready"  # each part's state in status while starting
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
        self.reads: EarlyReads | None = None  # once the store's reads are open

    def request_exit(self, *_: object) -> None:
        self.exit_requested = True

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT during the load end the start; SIGHUP is ignored until the daemon serves."""
        signal.signal(signal.SIGTERM, self.request_exit)
        signal.signal(signal.SIGINT, self.request_exit)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def status(self) -> dict[str, Any]:
        """What ``status`` answers while loading."""
        reads = self.reads
        return {"state": STARTING, "version": __version__, "pid": os.getpid(), "socket": str(self.paths.socket_path),
                "uptime_s": round(time.monotonic() - self.started, 3), "held_requests": len(self.held),
                "loading": {"reads": LOADING if reads is None else READY, "writes": LOADING},
                "early_reads": {"answered": reads.answered if reads else 0,
                                "in_flight": reads.in_flight if reads else 0}}

    def run_until(self, done: threading.Event | Callable[[], bool],
                  read_ops: Callable[[], OpTable | None] | None = None) -> None:
        """Serve until ``done`` is set or an exit is requested (a signal).

        ``read_ops`` returns the reads part's op table once it is built (None before):
        from then on those ops are answered here.
        """
        finished = done.is_set if isinstance(done, threading.Event) else done
        watchdog = notify.watchdog_interval()
        next_ping = next_extend = time.monotonic()
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self.exit_requested and not finished():
            if self.reads is None and read_ops is not None:
                table = read_ops()
                if table is not None:
                    self._serve_reads(table)
                    poller.register(self.reads.fd, zmq.POLLIN)  # type: ignore[union-attr]
            if dict(poller.poll(POLL_MS)).get(self.router):
                self._take_all()
            self._send_read_replies()
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

    def _serve_reads(self, table: OpTable) -> None:
        """The reads part is open: answer its ops from now on, the held ones first (in order)."""
        from sidecar.process.early_reads import EarlyReads  # here: the front must bind before anything heavier

        self.reads = reads = EarlyReads(table)
        kept = []
        for frames in self.held:
            if reads.takes(_op_name(frames[-1])):
                reads.submit(frames[:-1], frames[-1])
            else:
                kept.append(frames)
        self.held = kept
        log.info("reads ready (%s) after %.1fs; writes wait for the rest to load", ", ".join(table.names()),
                 time.monotonic() - self.started)

    def _send_read_replies(self) -> None:
        if self.reads is not None:
            for envelope, reply in self.reads.collect():
                self._send_packed(envelope, reply)

    def finish_reads(self, seconds: float = 30.0) -> None:
        """Send the replies of reads still running (before the server takes the socket over)."""
        if self.reads is not None:
            for envelope, reply in self.reads.finish(seconds):
                self._send_packed(envelope, reply)
            self.reads = None

    def _take(self, frames: list[bytes]) -> None:
        envelope, frame = frames[:-1], frames[-1]
        try:
            request = protocol.parse_request(frame)
        except ProtocolError:
            request = None  # held: the server refuses it with the right code once it runs
        name = request["op"] if request is not None else None
        if request is not None and self.reads is not None and self.reads.takes(name):
            self.reads.submit(envelope, frame)
        elif request is not None and name in ANSWERED_HERE:
            body = ({"pong": True, "pid": os.getpid(), "state": STARTING,
                     "reads": LOADING if self.reads is None else READY} if name == "ping" else self.status())
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
        self._send_packed(envelope, protocol.pack(message))

    def _send_packed(self, envelope: list[bytes], reply: bytes) -> None:
        try:
            self.router.send_multipart([*envelope, reply], zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # the peer is gone: its reply is lost, nobody else's
            log.debug("reply not sent: %s", exc)

    def close(self, linger_ms: int = 2000) -> None:
        """Close the socket (replies already sent get ``linger_ms`` to leave) and the context."""
        self.router.close(linger=linger_ms)
        self.context.term()


def _op_name(frame: bytes) -> object:
    try:
        return protocol.parse_request(frame)["op"]
    except ProtocolError:
        return None
