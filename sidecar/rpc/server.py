"""The socket loop: the only thread that touches the ROUTER socket.

It decodes requests, answers ``ping`` itself, checks each request's envelope
and serialisation key, and hands every other op (``status`` included: it reads
the store) to the :class:`Scheduler`; worker threads run them and their replies
come back through :class:`Results`. Signal handlers only set flags; the loop
polls them (uvicorn's shape), replaces dead workers, rebinds a deleted socket
file and pings the systemd watchdog only while the pool is whole.

On SIGTERM it stops taking work: queued requests and new ones are answered
``shutting_down``, running ones get ``drain_seconds`` to finish, and the
replies sent meanwhile get ``REPLY_LINGER_MS`` to leave before the socket closes.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import zmq

from sidecar.process import notify
from sidecar.rpc.access_log import AccessLog, describe_scope
from sidecar.rpc.applied import AppliedWrites
from sidecar.rpc.dispatch import OpTable
from sidecar.rpc.execute import REPLAYED, execute, refusal
from sidecar.rpc.inflight import InFlight, Pending, refusal_reply
from sidecar.rpc.intake import Admitted, Refused, admit
from sidecar.rpc.latency import rss_bytes
from sidecar.rpc.replay import ReplayCache
from sidecar.rpc.scheduler import READ, WRITE, Job, Scheduler
from sidecar.rpc.socket_watch import SocketWatch
from sidecar.rpc.workers import Results, WorkerPool
from sidecar_shared import protocol
from sidecar_shared.paths import AppPaths, ensure_runtime_dir
from sidecar_shared.protocol import Code

__all__ = ["Server", "execute", "refusal_reply"]

log = logging.getLogger("sidecar.rpc.server")
POLL_MS = 100
DRAIN_SECONDS = 10.0
REPLY_LINGER_MS = 2000
QUEUE_PER_KEY = 64
SOCKET_CHECK_SECONDS = 2.0
CHECK_WORKERS_S = POLL_MS / 1000  # how often dead worker threads are looked for (and replaced)


class Server:
    """Serves ``ops`` on ``paths.endpoint`` until :meth:`request_exit` is called."""

    def __init__(self, paths: AppPaths, ops: OpTable, *, workers: int, queue_size: int,
                 drain_seconds: float = DRAIN_SECONDS, queue_per_key: int = QUEUE_PER_KEY,
                 socket_check_seconds: float = SOCKET_CHECK_SECONDS, applied: AppliedWrites | None = None,
                 on_reload: Callable[[], None] | None = None) -> None:
        self.paths = paths
        self.ops = ops
        self.drain_seconds = drain_seconds
        self._on_reload = on_reload
        self._context = zmq.Context()
        self._context.linger = 0
        self._scheduler = Scheduler(workers, queue_size, queue_per_key)
        self.reads_first = self._scheduler.priority  # write work's checkpoints (the embedder's) pause on it
        self._results = Results()
        self._pool = WorkerPool(self._scheduler, workers, self._results)
        self._replay = ReplayCache()
        self._applied = applied if applied is not None else AppliedWrites(paths.data_dir / "requests.db")
        self._watch = SocketWatch(paths.socket_path, socket_check_seconds)
        self._pending = InFlight(self.reads_first)  # a read holds write work back until its reply is sent
        self._exit = False
        self._draining = False
        self._reload = False
        self.abandoned = False  # requests still running when the drain ended (the daemon exits without them)
        self.started = time.monotonic()
        self.access = AccessLog()

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

    def health(self) -> dict[str, Any]:
        """What ``ping`` adds: whether every worker thread is alive."""
        return {"healthy": self._pool.healthy(), "workers_alive": self._pool.alive(), "workers": self._pool.size}

    def metrics(self) -> dict[str, Any]:
        return {"uptime_s": round(time.monotonic() - self.started, 3), "queue_depth": self._scheduler.depth(),
                "in_flight": self._scheduler.in_flight(), "requests": self.access.requests,
                "errors": self.access.errors, "replayed": self._replay.replays, "rss_bytes": rss_bytes(),
                "latency": self.access.latencies.summary(), "lanes": self._scheduler.figures(),
                "oldest_running_s": self._scheduler.oldest_running_s(), "workers_replaced": self._pool.replaced,
                "replay_cache": {"entries": len(self._replay), "bytes": self._replay.bytes},
                "socket_rebinds": self._watch.rebinds, **self.health()}

    # -- the loop ----------------------------------------------------------

    def serve(self, on_ready: Callable[[], None] | None = None, router: zmq.Socket | None = None,
              held: list[list[bytes]] | None = None) -> None:
        """Serve until exit; ``router``: a socket already bound (:mod:`sidecar.process.front`), ``held``: its frames."""
        bound = router is not None
        if router is None:
            router = self._context.socket(zmq.ROUTER)
            router.setsockopt(zmq.MAXMSGSIZE, protocol.HARD_FRAME_LIMIT)
        try:
            if not bound:
                router.bind(self.paths.endpoint)
            self._watch.bound()
            self._pool.start()
            poller = zmq.Poller()
            poller.register(router, zmq.POLLIN)
            poller.register(self._results.fd, zmq.POLLIN)
            if on_ready:
                on_ready()
            for frames in held or ():  # requests that arrived while the daemon was loading, in order
                self._take(router, frames)
            watchdog = notify.watchdog_interval()
            next_ping = next_check = time.monotonic()
            while not self._exit:
                self._turn(poller, router)
                if self._reload:
                    self._reload = False
                    self._do_reload()
                if time.monotonic() >= next_check:  # not at every turn: a search makes two of them
                    self._pool.check()
                    next_check = time.monotonic() + CHECK_WORKERS_S
                if self._watch.due() and not self._watch.intact():
                    self._rebind(router)
                if watchdog and time.monotonic() >= next_ping and self._pool.healthy():
                    notify.watchdog_ping()  # withheld while a worker is dead: systemd then restarts us
                    next_ping = time.monotonic() + watchdog
            log.info("shutting down: finishing %d running requests, refusing %d queued",
                     self._scheduler.in_flight(), self._scheduler.depth())
            notify.stopping()
            self._drain(poller, router)
        finally:
            router.close(linger=REPLY_LINGER_MS)  # replies sent during the drain still reach their clients
            self._context.term()  # waits at most the linger: workers own no socket
            if not self.abandoned:  # a worker still running would write its reply into a reused fd
                self._results.close()
            self._applied.close()

    def _turn(self, poller: zmq.Poller, router: zmq.Socket) -> None:
        events = dict(poller.poll(POLL_MS))
        if self._results.fd in events:
            self._send_results(router)
        if router in events:
            self._drain_requests(router)

    def _drain(self, poller: zmq.Poller, router: zmq.Socket) -> None:
        """Answer queued work ``shutting_down``; give running work ``drain_seconds``; keep answering meanwhile."""
        self._draining = True
        for job in self._pool.close_intake():
            self._finish(router, job.token, refusal_reply(job.request_id), Code.SHUTTING_DOWN.encode())
        deadline = time.monotonic() + self.drain_seconds
        while self._pool.busy() and time.monotonic() < deadline:
            self._turn(poller, router)
        self._send_results(router)
        self.abandoned = self._pool.busy()
        if self.abandoned:
            log.warning("%d requests did not finish within %gs ([daemon] drain_seconds); exiting without "
                        "their replies", self._scheduler.in_flight(), self.drain_seconds)

    def _rebind(self, router: zmq.Socket) -> None:
        log.warning("the socket file %s was removed or replaced; binding it again", self.paths.socket_path)
        try:
            router.unbind(self.paths.endpoint)
        except zmq.ZMQError:
            pass
        try:
            ensure_runtime_dir(self.paths.runtime_dir)
            router.bind(self.paths.endpoint)
            self._watch.bound()
            self._watch.rebinds += 1
        except Exception as exc:  # nobody can reach us: leave, so that a new daemon can start
            log.error("cannot bind %s again (%s); stopping so a new daemon can start", self.paths.socket_path, exc)
            self._exit = True

    def _do_reload(self) -> None:
        notify.reloading()
        if self._on_reload:
            try:
                self._on_reload()
            except Exception as exc:  # a bad config must not kill a running daemon
                log.error("reload failed, keeping the old settings: %s", exc)
        notify.ready()

    # -- requests in, replies out --------------------------------------------------

    def _drain_requests(self, router: zmq.Socket) -> None:
        for _ in range(1000):
            try:
                frames = router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._take(router, frames)

    def _take(self, router: zmq.Socket, frames: list[bytes]) -> None:
        envelope, started = frames[:-1], time.perf_counter()
        try:
            self._handle(router, envelope, frames[-1], started)
        except Exception as exc:  # a bug here must cost one request, never the socket thread
            log.exception("request could not be handled")
            self._refuse(router, envelope, None, "?", Code.INTERNAL,
                         f"the request could not be handled ({exc.__class__.__name__})", started)

    def _send_results(self, router: zmq.Socket) -> None:
        for token, reply, outcome in self._results.take_all():
            self._finish(router, token, reply, outcome)

    def _finish(self, router: zmq.Socket, token: bytes, reply: bytes, outcome: bytes) -> None:
        pending = self._pending.take(token)
        if pending is None:
            return
        try:
            cache = outcome in (b"ok", REPLAYED)
            waiters = self._replay.finish(pending.request_id, reply, cache=cache) if pending.write else []
            for envelope in [pending.envelope, *waiters]:
                self._send_raw(router, envelope, reply)
        finally:
            self._pending.sent(pending)  # whatever happened: a read must never hold write work back for good
        self.access.record(pending.op, pending.scope, pending.started, outcome.decode(errors="replace"),
                           pending.request_id)

    def _send_raw(self, router: zmq.Socket, envelope: list[bytes], reply: bytes) -> None:
        try:
            router.send_multipart([*envelope, reply], zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # the peer is gone or not reading: its reply is lost, nobody else's
            log.debug("reply not sent: %s", exc)

    def _refuse(self, router: zmq.Socket, envelope: list[bytes], request_id: str | None, op: str,
                code: str, message: str, started: float) -> None:
        self._send_raw(router, envelope, protocol.pack(protocol.error(request_id, code, message)))
        self.access.record(op, "-", started, code, request_id)

    def _handle(self, router: zmq.Socket, envelope: list[bytes], frame: bytes, started: float) -> None:
        request = admit(frame, self.ops, draining=self._draining)
        if isinstance(request, Refused):
            self._refuse(router, envelope, request.request_id, request.name, request.code, request.message, started)
        elif request.op is None:  # ping, answered here
            self._send_raw(router, envelope, protocol.pack(protocol.ok(
                request.request_id, {"pong": True, "pid": os.getpid(), **self.health()})))
            self.access.record(request.name, "-", started, "ok", request.request_id)
        elif not (request.op.write and self._replayed(router, envelope, request, started)):
            self._submit(router, envelope, request, started)

    def _replayed(self, router: zmq.Socket, envelope: list[bytes], request: Admitted, started: float) -> bool:
        """True if a write's id was seen: replayed, refused, or now waiting for the running original."""
        request_id, name = request.request_id, request.name
        seen = self._replay.seen(request_id, request.digest, envelope)
        if seen.state == "new":
            return False
        if seen.state == "replay":
            self._send_raw(router, envelope, seen.reply)
            self.access.record(name, "-", started, "replayed", request_id)
        elif seen.state in ("reused", "applied"):
            code = Code.ID_REUSED if seen.state == "reused" else Code.ALREADY_APPLIED
            self._send_raw(router, envelope, refusal(request_id, code))
            self.access.record(name, "-", started, code, request_id)
        return True

    def _submit(self, router: zmq.Socket, envelope: list[bytes], request: Admitted, started: float) -> None:
        op, request_id, args, digest = request.op, request.request_id, request.args, request.digest
        assert op is not None
        token = self._pending.add(Pending(envelope, request_id, op.name, describe_scope(args), started, op.write))
        if op.write:
            lane, key = WRITE, request.key if request.key is not None else ("alone", token)
            applied: AppliedWrites | None = self._applied
        else:
            lane, key, applied = READ, envelope[0] if envelope else b"", None  # reads: one queue per connection
        refine = (lambda: op.refine(args)) if op.refine is not None else None  # type: ignore[misc]
        job = Job(token, request_id, lane, key,
                  lambda: execute(op, request_id, args, digest=digest or None, applied=applied), refine)
        if op.write:
            self._replay.start(request_id, digest)
        if not self._scheduler.submit(job):
            self._pending.refused(token)
            if op.write:
                self._replay.finish(request_id, b"", cache=False)
            what = "writes (or this scope's)" if op.write else "reads (or this connection's)"
            self._refuse(router, envelope, request_id, op.name, Code.BUSY,
                         f"the daemon's queue of {what} is full; retry shortly", started)

