"""The synchronous client: one method per daemon op, mirroring mem0's ``Memory``.

Reliability follows the ZeroMQ guide's Lazy Pirate pattern: each call polls
with a timeout; on timeout the socket is closed with linger 0 and reopened, and
the request is resent with the *same* id, which makes a resend safe even for
writes (the daemon replays the first result instead of writing twice).
"""

from __future__ import annotations

import errno
import socket
import time
from pathlib import Path
from typing import Any

import zmq

from sidecar_shared import protocol
from sidecar_shared.errors import (Busy, DaemonNotRunning, DaemonTimeout, NotFound, RequestFailed, SecretDetected,
                                   SidecarError)
from sidecar_shared.paths import AppPaths, app_paths, check_socket
from sidecar_client.session_methods import ContextMethods

DEFAULT_TIMEOUT = 10.0


def daemon_listening(socket_path: Path) -> bool:
    """True if something accepts connections on the unix socket (a cheap probe).

    Raises :class:`~sidecar_shared.paths.UnsafeRuntimeDir` when the socket or its
    folder could be another user's."""
    check_socket(socket_path)
    if not socket_path.exists():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(socket_path))
        return True
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise SidecarError(f"permission denied on {socket_path}: it belongs to another user") from None
        return False
    finally:
        probe.close()


class DaemonConnection:
    """What the sync and asyncio clients share: the socket's life cycle and request framing.

    ``context`` decides the flavour: a ``zmq.Context`` gives blocking sockets, a
    ``zmq.asyncio.Context`` awaitable ones.
    """

    def __init__(self, paths: AppPaths | None, timeout: float, retries: int, context: zmq.Context) -> None:
        self.paths = paths or app_paths()
        self.timeout = timeout
        self.retries = retries
        self._context = context
        self._socket: Any = None

    def _open(self) -> Any:
        if not daemon_listening(self.paths.socket_path):
            raise DaemonNotRunning(str(self.paths.socket_path))
        sock = self._context.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(self.paths.endpoint)
        return sock

    def _reset(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def close(self) -> None:
        """Close the socket (the client reopens it on the next call)."""
        self._reset()

    @staticmethod
    def _frame(op: str, args: dict[str, Any] | None, request_id: str | None) -> tuple[str, bytes]:
        """The request id and the encoded request; refuses what the daemon would refuse for size."""
        message = protocol.request(op, _drop_none(args or {}), request_id)
        frame = protocol.pack(message)
        if len(frame) > protocol.MAX_REQUEST_BYTES:
            raise RequestFailed(
                protocol.Code.TOO_LARGE,
                f"request is {len(frame)} bytes; the daemon accepts at most {protocol.MAX_REQUEST_BYTES}",
            )
        return message["id"], frame

    def _gone_or_silent(self, op: str, per_try: float, attempts: int) -> DaemonTimeout:
        """After a silent attempt: raise if the daemon is gone, else the error to raise when out of tries."""
        self._reset()  # Lazy Pirate: drop the socket and any stale reply with it
        if not daemon_listening(self.paths.socket_path):
            raise DaemonNotRunning(str(self.paths.socket_path))
        return DaemonTimeout(f"the memory daemon did not answer {op!r} within {per_try:g}s ({attempts} attempts)")


class Client(ContextMethods, DaemonConnection):
    """A connection to the memory daemon.

    ``timeout`` is per attempt (seconds); ``retries`` is how many times a call is
    resent after a timeout. Not thread-safe: use one client per thread.
    """

    def __init__(self, paths: AppPaths | None = None, *, timeout: float = DEFAULT_TIMEOUT, retries: int = 2,
                 context: zmq.Context | None = None) -> None:
        super().__init__(paths, timeout, retries, context or zmq.Context.instance())

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, op: str, args: dict[str, Any] | None = None, *, timeout: float | None = None,
             retry: bool = True, request_id: str | None = None) -> Any:
        """Send one request and return its ``result``; raise a :class:`SidecarError` otherwise."""
        request_id, frame = self._frame(op, args, request_id)
        attempts = 1 + (self.retries if retry else 0)
        per_try = self.timeout if timeout is None else timeout
        for _ in range(attempts):
            if self._socket is None:
                self._socket = self._open()
            self._socket.send(frame)
            reply = self._await_reply(request_id, per_try)
            if reply is not None:
                return _result(reply)
            timed_out = self._gone_or_silent(op, per_try, attempts)
        raise timed_out

    def _await_reply(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        assert self._socket is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._socket.poll(int(remaining * 1000) + 1):
                return None
            reply = protocol.unpack(self._socket.recv())
            if reply.get("id") == request_id:
                return reply

    # -- ops, mirroring mem0.Memory -----------------------------------------

    def ping(self, timeout: float = 2.0) -> dict[str, Any]:
        return self.call("ping", timeout=timeout, retry=False)

    def status(self) -> dict[str, Any]:
        return self.call("status")

    def add(self, messages: str | dict | list[dict], *, user_id: str | None = None,
            agent_id: str | None = None, run_id: str | None = None,
            metadata: dict[str, Any] | None = None, infer: bool = False) -> dict[str, Any]:
        """Store ``messages`` (text or a messages list).

        NOTE, unlike mem0: ``infer`` defaults to False here, which stores every message
        verbatim, the assistant's lines included. For mem0's behaviour (only the durable
        facts the write gate keeps) pass ``infer=True``, or use :class:`sidecar_client.Memory`,
        whose ``add`` defaults to ``infer=True`` like ``mem0.Memory.add``.
        """
        return self.call("add", {"messages": messages, "user_id": user_id, "agent_id": agent_id,
                                 "run_id": run_id, "metadata": metadata, "infer": infer},
                         timeout=max(self.timeout, 60.0) if infer else None)

    def search(self, query: str, *, filters: dict[str, Any] | None = None, top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]:
        """Memories most similar to ``query`` within ``filters`` (which must name a scope)."""
        return self.call("search", {"query": query, "filters": filters, "top_k": top_k, "threshold": threshold})

    def get(self, memory_id: str) -> dict[str, Any] | None:
        return self.call("get", {"memory_id": memory_id})

    def get_all(self, *, filters: dict[str, Any] | None = None, top_k: int = 100) -> dict[str, Any]:
        return self.call("get_all", {"filters": filters, "top_k": top_k})

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("update", {"memory_id": memory_id, "text": text, "metadata": metadata})

    def delete(self, memory_id: str) -> dict[str, Any]:
        return self.call("delete", {"memory_id": memory_id})

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]:
        return self.call("delete_all", {"user_id": user_id, "agent_id": agent_id, "run_id": run_id})

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self.call("history", {"memory_id": memory_id})

    # -- learning -------------------------------------------------------------

    def ingest(self, paths: list[str], *, agent: str | None = None, wait: bool = False,
               timeout: float = 600.0, poll_s: float = 0.25, user_id: str | None = None) -> dict[str, Any]:
        """Read transcript files now and queue what they say.

        The reply counts records, candidates and queued jobs, and carries ``job_ids``;
        with ``wait=True`` this polls ``ingest.progress`` until every job is judged and
        applied (or ``timeout`` seconds passed: ``pending`` then says how many are left).
        ``user_id`` names whose facts the files hold (default: the daemon's user).
        """
        result = self.call("ingest", {"paths": [str(p) for p in paths], "agent": agent, "user_id": user_id})
        deadline = time.monotonic() + timeout
        while wait and result["pending"] and time.monotonic() < deadline:
            time.sleep(poll_s)
            result.update(self.ingest_progress(result["job_ids"]))
        return result

    def ingest_progress(self, job_ids: list[int]) -> dict[str, int]:
        """How many of ``job_ids`` are done, pending or failed, and the store events they applied."""
        return self.call("ingest.progress", {"job_ids": list(job_ids)})

    # -- review (facts held by [gate] mode = "review") ----------------------------

    def review_list(self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
                    limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """One page of a scope's pending review items: ``items``, ``total``, ``next_offset`` (None at the end)."""
        return self.call("review.list", {"user_id": user_id, "agent_id": agent_id, "run_id": run_id,
                                         "limit": limit, "offset": offset})

    def review_count(self, *, user_id: str | None = None, agent_id: str | None = None,
                     run_id: str | None = None) -> int:
        """Pending review items of a scope (of every scope when none is given)."""
        return int(self.call("review.count", {"user_id": user_id, "agent_id": agent_id, "run_id": run_id})["pending"])

    def review_accept(self, item_id: str, *, text: str | None = None, user_id: str | None = None,
                      agent_id: str | None = None, run_id: str | None = None) -> dict[str, Any]:
        """Store a pending item (``text`` replaces its proposed text); ``item_id`` may be a 6+ character prefix.

        A scope, when given, must be the item's; otherwise :class:`NotFound` is raised.
        """
        return self.call("review.accept", {"id": item_id, "text": text, "user_id": user_id,
                                           "agent_id": agent_id, "run_id": run_id})

    def review_reject(self, item_id: str, *, user_id: str | None = None, agent_id: str | None = None,
                      run_id: str | None = None) -> dict[str, Any]:
        """Drop a pending item; the same fact is not proposed again."""
        return self.call("review.reject", {"id": item_id, "user_id": user_id, "agent_id": agent_id,
                                           "run_id": run_id})


def _drop_none(args: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in args.items() if value is not None}


def _result(reply: dict[str, Any]) -> Any:
    if reply.get("ok"):
        return reply.get("result")
    err = reply.get("error") or {}
    code, message = str(err.get("code", "internal")), str(err.get("message", "unknown error"))
    if code == protocol.Code.NOT_FOUND:
        raise NotFound(code, message)
    if code == protocol.Code.BUSY:
        raise Busy(code, message)
    if code == protocol.Code.SECRET_DETECTED:
        raise SecretDetected(code, message)
    raise RequestFailed(code, message)
