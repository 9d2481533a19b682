"""The asyncio client: the same methods as :class:`~sidecar_client.client.Client`, awaitable.

It speaks the same protocol over a ``zmq.asyncio`` DEALER socket and keeps the
Lazy Pirate reliability of the sync client: each attempt waits ``timeout``
seconds; on silence the socket is closed with linger 0, reopened, and the
*same* request (same id) is resent, so the daemon replays a write instead of
doing it twice.

Calls on one client are serialised by a lock (a DEALER socket carries one
conversation); use several clients for parallel requests.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import zmq
import zmq.asyncio

from sidecar_shared import protocol
from sidecar_client.client import DEFAULT_TIMEOUT, DaemonConnection, _result
from sidecar_client.session_methods import ContextMethods
from sidecar_shared.paths import AppPaths


class AsyncClient(ContextMethods, DaemonConnection):
    """An asyncio connection to the memory daemon.

    ``timeout`` is per attempt (seconds); ``retries`` is how many times a call is
    resent after a timeout. Use ``async with AsyncClient() as client:`` or call
    :meth:`close` when done.
    """

    def __init__(
        self,
        paths: AppPaths | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 2,
        context: zmq.asyncio.Context | None = None,
    ) -> None:
        super().__init__(paths, timeout, retries, context or zmq.asyncio.Context.instance())
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    async def call(self, op: str, args: dict[str, Any] | None = None, *, timeout: float | None = None,
                   retry: bool = True, request_id: str | None = None) -> Any:
        """Send one request and return its ``result``; raise a :class:`SidecarError` otherwise."""
        request_id, frame = self._frame(op, args, request_id)
        if self._lock is None:
            self._lock = asyncio.Lock()  # created lazily: it binds to the running loop
        attempts = 1 + (self.retries if retry else 0)
        per_try = self.timeout if timeout is None else timeout
        async with self._lock:
            for _ in range(attempts):
                if self._socket is None:
                    self._socket = self._open()
                await self._socket.send(frame)
                reply = await self._await_reply(request_id, per_try)
                if reply is not None:
                    return _result(reply)
                timed_out = self._gone_or_silent(op, per_try, attempts)
        raise timed_out

    async def _await_reply(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        assert self._socket is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._socket.poll(int(remaining * 1000) + 1):
                return None
            reply = protocol.unpack(await self._socket.recv())
            if reply.get("id") == request_id:
                return reply

    # -- ops, mirroring the sync client -------------------------------------

    async def ping(self, timeout: float = 2.0) -> dict[str, Any]:
        """Liveness check; never retried."""
        return await self.call("ping", timeout=timeout, retry=False)

    async def status(self) -> dict[str, Any]:
        """The daemon's status map."""
        return await self.call("status")

    async def add(self, messages: str | dict | list[dict], *, user_id: str | None = None,
                  agent_id: str | None = None, run_id: str | None = None,
                  metadata: dict[str, Any] | None = None, infer: bool = False) -> dict[str, Any]:
        """Store ``messages`` (text or a messages list). ``infer=False`` stores them verbatim."""
        return await self.call("add", {"messages": messages, "user_id": user_id, "agent_id": agent_id,
                                       "run_id": run_id, "metadata": metadata, "infer": infer},
                               timeout=max(self.timeout, 60.0) if infer else None)

    async def search(self, query: str, *, filters: dict[str, Any] | None = None, top_k: int = 20,
                     threshold: float | None = None) -> dict[str, Any]:
        """Memories most similar to ``query`` within ``filters`` (which must name a scope)."""
        return await self.call("search", {"query": query, "filters": filters, "top_k": top_k,
                                          "threshold": threshold})

    async def get(self, memory_id: str) -> dict[str, Any] | None:
        """One memory by id."""
        return await self.call("get", {"memory_id": memory_id})

    async def get_all(self, *, filters: dict[str, Any] | None = None, top_k: int = 100) -> dict[str, Any]:
        """Every memory of a scope (up to ``top_k``)."""
        return await self.call("get_all", {"filters": filters, "top_k": top_k})

    async def update(self, memory_id: str, text: str | None = None,
                     metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Replace a memory's text and/or metadata."""
        return await self.call("update", {"memory_id": memory_id, "text": text, "metadata": metadata})

    async def delete(self, memory_id: str) -> dict[str, Any]:
        """Delete one memory."""
        return await self.call("delete", {"memory_id": memory_id})

    async def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                         run_id: str | None = None) -> dict[str, Any]:
        """Delete every memory of a scope."""
        return await self.call("delete_all", {"user_id": user_id, "agent_id": agent_id, "run_id": run_id})

    async def history(self, memory_id: str) -> list[dict[str, Any]]:
        """How a memory was created and changed."""
        return await self.call("history", {"memory_id": memory_id})
