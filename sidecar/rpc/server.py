"""The socket loop: the only thread that touches the ROUTER socket.

It decodes requests, answers ``ping`` itself, hands every other op (``status``
included: it reads the store) to the worker pool, and sends back the replies
the workers push over inproc. Signal handlers only set flags; the loop polls
them (uvicorn's shape). On SIGTERM it stops taking work, answers new requests
``shutting_down``, and keeps sending replies until the running ones finished.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq

from sidecar.process import notify
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Op, OpTable, run
from sidecar.rpc.latency import OpLatencies, rss_bytes
from sidecar.rpc.replay import ReplayCache
from sidecar.rpc.workers import RESULTS_ENDPOINT, WorkerPool
from sidecar_shared import protocol
from sidecar_shared.paths import AppPaths
from sidecar_shared.protocol import SCOPE_KEYS, Code, ProtocolError

log = logging.getLogger("sidecar.rpc.server")
request_log = logging.getLogger("sidecar.request")
POLL_MS = 100
DRAIN_SECONDS = 10.0
REPLY_LINGER_MS = 2000


@dataclass
class Pending:
    envelope: list[bytes]
    request_id: str
    op: str
    scope: str
    started: float
    write: bool


def describe_scope(args: dict[str, Any]) -> str:
    source = args.get("filters") if isinstance(args.get("filters"), dict) else args
    parts = [f"{key}={source[key]}" for key in SCOPE_KEYS if isinstance(source.get(key), str)]
    return ",".join(parts) or "-"


class Server:
    """Serves ``ops`` on ``paths.endpoint`` until :meth:`request_exit` is called."""

    def __init__(self, paths: AppPaths, ops: OpTable, *, workers: int, queue_size: int,
                 drain_seconds: float = DRAIN_SECONDS, on_reload: Callable[[], None] | None = None) -> None:
        self.paths = paths
        self.ops = ops
        self.drain_seconds = drain_seconds
        self._on_reload = on_reload
        self._context = zmq.Context()
        self._context.linger = 0
        self._pool = WorkerPool(self._context, workers, queue_size)
        self._replay = ReplayCache()
        self._pending: dict[bytes, Pending] = {}
        self._tokens = (str(n).encode() for n in itertools.count())
        self._exit = False
        self._draining = False
        self._reload = False
        self.started = time.monotonic()
        self.requests = 0
        self.errors = 0
        self.latencies = OpLatencies()

    # -- signals only set flags -------------------------------------------

    def request_exit(self, *_: object) -> None:
        self._exit = True

    def request_reload(self, *_: object) -> None:
        self._reload = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_exit)
        signal.signal(signal.SIGINT, self.request_exit)
        signal.signal(signal.SIGHUP, self.request_reload)

    # -- metrics -----------------------------------------------------------

    def metrics(self) -> dict[str, Any]:
        return {"uptime_s": round(time.monotonic() - self.started, 3), "queue_depth": self._pool.depth,
                "in_flight": self._pool.in_flight, "requests": self.requests, "errors": self.errors,
                "replayed": self._replay.replays, "rss_bytes": rss_bytes(),
                "latency": self.latencies.summary()}

    # -- the loop ----------------------------------------------------------

    def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        router = self._context.socket(zmq.ROUTER)
        router.setsockopt(zmq.MAXMSGSIZE, protocol.HARD_FRAME_LIMIT)
        router.bind(self.paths.endpoint)
        results = self._context.socket(zmq.PULL)
        results.bind(RESULTS_ENDPOINT)
        self._pool.start()
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(results, zmq.POLLIN)
        if on_ready:
            on_ready()
        watchdog = notify.watchdog_interval()
        next_ping = time.monotonic()
        try:
            while not self._exit:
                events = dict(poller.poll(POLL_MS))
                if results in events:
                    self._drain_results(results, router)
                if router in events:
                    self._drain_requests(router)
                if self._reload:
                    self._reload = False
                    self._do_reload()
                if watchdog and time.monotonic() >= next_ping:
                    notify.watchdog_ping()
                    next_ping = time.monotonic() + watchdog
            log.info("shutting down: finishing %d queued and %d running requests",
                     self._pool.depth, self._pool.in_flight)
            notify.stopping()
            self._drain(poller, router, results)
        finally:
            router.close(linger=REPLY_LINGER_MS)  # replies sent just now still reach their clients
            results.close(linger=0)
            self._context.term()

    def _drain(self, poller: zmq.Poller, router: zmq.Socket, results: zmq.Socket) -> None:
        """Finish queued and running work; new requests are answered ``shutting_down`` meanwhile."""
        self._draining = True
        self._pool.close_intake()
        deadline = time.monotonic() + self.drain_seconds
        while self._pool.running() and time.monotonic() < deadline:
            events = dict(poller.poll(POLL_MS))
            if results in events:
                self._drain_results(results, router)
            if router in events:
                self._drain_requests(router)
        if not self._pool.join(0.0):
            log.warning("some requests did not finish within %.0fs ([daemon] drain_seconds)", self.drain_seconds)
        self._drain_results(results, router)

    def _do_reload(self) -> None:
        notify.reloading()
        if self._on_reload:
            try:
                self._on_reload()
            except Exception as exc:  # a bad config must not kill a running daemon
                log.error("reload failed, keeping the old settings: %s", exc)
        notify.ready()

    def _drain_requests(self, router: zmq.Socket) -> None:
        for _ in range(1000):
            try:
                frames = router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._handle(router, frames[:-1], frames[-1])

    def _drain_results(self, results: zmq.Socket, router: zmq.Socket) -> None:
        while True:
            try:
                token, reply, outcome = results.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            pending = self._pending.pop(token, None)
            if pending is None:
                continue
            ok = outcome == b"ok"
            waiters = self._replay.finish(pending.request_id, reply, cache=ok) if pending.write else []
            for envelope in [pending.envelope, *waiters]:
                router.send_multipart([*envelope, reply])
            self._log(pending.op, pending.scope, pending.started, outcome.decode(), pending.request_id)

    def _send(self, router: zmq.Socket, envelope: list[bytes], message: dict[str, Any]) -> None:
        router.send_multipart([*envelope, protocol.pack(message)])

    def _log(self, op: str, scope: str, started: float, outcome: str, request_id: str | None) -> None:
        self.requests += 1
        if outcome != "ok":
            self.errors += 1
        millis = (time.perf_counter() - started) * 1000
        self.latencies.record(op, millis)
        request_log.info("op=%s scope=%s dur_ms=%.1f outcome=%s id=%s", op, scope, millis, outcome, request_id)

    def _refuse(self, router: zmq.Socket, envelope: list[bytes], request_id: str | None, op: str,
                code: str, message: str, started: float) -> None:
        self._send(router, envelope, protocol.error(request_id, code, message))
        self._log(op, "-", started, code, request_id)

    def _handle(self, router: zmq.Socket, envelope: list[bytes], frame: bytes) -> None:
        started = time.perf_counter()
        try:
            request = protocol.parse_request(frame)
        except ProtocolError as exc:
            self._refuse(router, envelope, protocol.peek_id(frame), "?", exc.code, exc.message, started)
            return
        request_id, name, args = request["id"], request["op"], request["args"]
        if name == "ping":
            self._send(router, envelope, protocol.ok(request_id, {"pong": True, "pid": os.getpid()}))
            self._log(name, "-", started, "ok", request_id)
            return
        if self._draining:
            self._refuse(router, envelope, request_id, name, Code.SHUTTING_DOWN,
                         "the daemon is shutting down; retry once it is back", started)
            return
        op = self.ops.get(name)
        if op is None:
            known = ", ".join(["ping", *self.ops.names()])
            self._refuse(router, envelope, request_id, name, Code.UNKNOWN_OP,
                         f"unknown op {name!r}; this daemon answers: {known}", started)
            return
        if op.write:
            seen = self._replay.seen(request_id, envelope)
            if isinstance(seen, bytes):
                router.send_multipart([*envelope, seen])
                self._log(name, describe_scope(args), started, "replayed", request_id)
            if seen:
                return
        self._submit(router, envelope, request, op, started)

    def _submit(self, router: zmq.Socket, envelope: list[bytes], request: dict[str, Any], op: Op,
                started: float) -> None:
        request_id, args = request["id"], request["args"]
        token = next(self._tokens)
        self._pending[token] = Pending(envelope, request_id, op.name, describe_scope(args), started, op.write)
        if op.write:
            self._replay.start(request_id)
        key = op.key(args) if op.key else None
        if not self._pool.submit(token, key, lambda: execute(op, request_id, args)):
            self._pending.pop(token)
            if op.write:
                self._replay.finish(request_id, b"", cache=False)
            self._refuse(router, envelope, request_id, op.name, Code.BUSY,
                         f"the daemon's queue is full ({self._pool.depth} waiting); retry shortly", started)

def execute(op: Op, request_id: str, args: dict[str, Any]) -> tuple[bytes, bytes]:
    """Run one op in a worker thread; always returns a reply frame, never raises."""
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
        return protocol.pack(message), outcome
    except Exception as exc:
        fallback = protocol.error(request_id, Code.INTERNAL, f"result could not be encoded: {exc}")
        return protocol.pack(fallback), Code.INTERNAL.encode()
