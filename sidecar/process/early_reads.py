"""Searches answered while the daemon still loads: a few threads run the reads part's ops for the front.

Once the store's reads are open (:func:`sidecar.composition_reads.build_reads`), the
front (:mod:`sidecar.process.front`) hands every ``search``, ``get`` and ``get_all`` it holds, and
every new one, to :class:`EarlyReads`, which checks the request like the server
does (:func:`sidecar.rpc.intake.admit`), runs it like a worker does
(:func:`sidecar.rpc.execute.execute`) and hands the packed reply back. Only the
socket thread touches the socket: replies wait in a queue, and a pipe wakes the
front's poll. Writes and every other op stay held for the server, in order, so
a search may be answered before a write that arrived earlier is applied, as the
server's reads-first scheduling would do too.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sidecar.rpc.access_log import AccessLog, describe_scope
from sidecar.rpc.dispatch import OpTable
from sidecar.rpc.execute import execute
from sidecar.rpc.intake import Refused, admit
from sidecar_shared import protocol
from sidecar_shared.protocol import Code

log = logging.getLogger("sidecar.process.early_reads")
THREADS = 2
Reply = tuple[list[bytes], bytes]  # (envelope, packed reply)
Done = tuple[list[bytes], bytes, tuple[str, str, float, str, str | None]]  # + what the access log records


class EarlyReads:
    """Runs read requests on :data:`THREADS` threads; :meth:`collect` gives their replies to send."""

    def __init__(self, ops: OpTable, threads: int = THREADS) -> None:
        self.ops = ops
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="early-read")
        self._replies: queue.SimpleQueue[Done] = queue.SimpleQueue()
        self.access = AccessLog()  # one line per request, like the server's (written on the socket thread)
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self.in_flight = 0  # touched by the socket thread only

    @property
    def fd(self) -> int:
        """Readable when a reply waits (poll it next to the socket)."""
        return self._wake_read

    def takes(self, op_name: object) -> bool:
        """Whether requests of ``op_name`` are answered here."""
        return isinstance(op_name, str) and self.ops.get(op_name) is not None

    def submit(self, envelope: list[bytes], frame: bytes) -> None:
        """Check and run one request (of an op :meth:`takes`); its reply comes back through :meth:`collect`."""
        self.in_flight += 1
        started = time.perf_counter()
        admitted = admit(frame, self.ops, draining=False)
        if isinstance(admitted, Refused):
            reply = protocol.pack(protocol.error(admitted.request_id, admitted.code, admitted.message))
            self._done(envelope, reply, (admitted.name, "-", started, admitted.code, admitted.request_id))
            return
        self._pool.submit(self._run, envelope, admitted.op, admitted.request_id, admitted.args, started)

    def _run(self, envelope: list[bytes], op: Any, request_id: str, args: dict, started: float) -> None:
        try:
            reply, outcome = execute(op, request_id, args)
        except BaseException as exc:  # execute never raises; this keeps a reply coming whatever happens
            log.exception("early read failed")
            reply = protocol.pack(protocol.error(request_id, Code.INTERNAL, f"{exc.__class__.__name__}: {exc}"))
            outcome = Code.INTERNAL.encode()
        self._done(envelope, reply, (op.name, describe_scope(args), started, outcome.decode(), request_id))

    @property
    def answered(self) -> int:
        return self.access.requests

    def _done(self, envelope: list[bytes], reply: bytes, access: tuple[str, str, float, str, str | None]) -> None:
        self._replies.put((envelope, reply, access))
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:  # the pipe is full of wake-ups already
            pass

    def collect(self) -> list[Reply]:
        """The replies ready now (socket thread only)."""
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass
        ready: list[Reply] = []
        while True:
            try:
                envelope, reply, access = self._replies.get_nowait()
            except queue.Empty:
                break
            self.access.record(*access)
            ready.append((envelope, reply))
        self.in_flight -= len(ready)
        return ready

    def finish(self, seconds: float) -> list[Reply]:
        """Wait up to ``seconds`` for the reads still running; their replies, then stop the threads."""
        replies = self.collect()
        deadline = time.monotonic() + seconds
        while self.in_flight > 0 and time.monotonic() < deadline:
            select.select([self._wake_read], [], [], max(0.0, deadline - time.monotonic()))
            replies += self.collect()
        if self.in_flight > 0:
            log.warning("%d early reads still running after %gs; their replies are lost", self.in_flight, seconds)
        self._pool.shutdown(wait=False)
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)
        return replies
