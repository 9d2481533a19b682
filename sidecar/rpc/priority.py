"""Reads first: write work pauses at its checkpoints while a read runs, waits, or its reply is unsent.

The scheduler keeps a worker free for reads, but on a small machine the threads
still share the GIL and the cores, and Chroma's Rust calls keep the GIL for their
whole run (an ``add`` 15-35 ms, with its commit): a search beside a burst of writes
waits for the GIL behind every write call it meets. So a thread doing write work
calls :meth:`ReadsFirst.checkpoint` before each step that holds the GIL long:
before a write job starts, before each call into Chroma
(:mod:`sidecar.store.chroma_gate`), before each batch the embedder runs, and
between the write gate's steps (:meth:`sidecar.store.memory_store.MemoryStore.pause`:
before the judge, before each fact is reconciled, before its provenance). While a
read is in progress (from its admission until the socket thread has sent its reply,
:mod:`sidecar.rpc.inflight`) it sleeps until the reads are done, for at most
``max_pause_s`` per checkpoint, so writes are slowed, never stopped, by a steady
stream of reads; a write call already running when a read arrives finishes first.
A thread running a read never pauses.

The interpreter's switch interval is lowered too (:func:`prefer_short_slices`): a
thread that wants the GIL gets it after 1 ms of another thread's Python code
instead of 5 ms.
"""

from __future__ import annotations

import sys
import threading
import time

MAX_PAUSE_S = 0.05  # per checkpoint: a read takes a few ms; a steady stream of reads must not stop writes
QUIET_S = 1.0  # no read for this long: bulk write work may use a second core (see CachedEmbedder.set_quiet)
SWITCH_INTERVAL_S = 0.001


def prefer_short_slices(interval_s: float = SWITCH_INTERVAL_S) -> None:
    """Let a thread waiting for the GIL have it after ``interval_s`` of another thread's Python code."""
    if sys.getswitchinterval() > interval_s:
        sys.setswitchinterval(interval_s)


class ReadsFirst:
    """Counts reads in progress (waiting or running); write work pauses at checkpoints while there are any."""

    def __init__(self, max_pause_s: float = MAX_PAUSE_S) -> None:
        self.max_pause_s = max_pause_s
        self._cond = threading.Condition()
        self._reads = 0
        self._last_read = float("-inf")  # monotonic time the latest read was done
        self._local = threading.local()
        self.pauses = 0  # checkpoints that waited for reads (a figure for tests and status)

    def read_queued(self) -> None:
        """A read was admitted: write work pauses from now until it is :meth:`read_done`."""
        with self._cond:
            self._reads += 1

    def read_done(self) -> None:
        with self._cond:
            self._reads = max(0, self._reads - 1)
            self._last_read = time.monotonic()
            if not self._reads:
                self._cond.notify_all()

    def reads(self) -> int:
        with self._cond:
            return self._reads

    def quiet(self, seconds: float = QUIET_S) -> bool:
        """No read in progress, and none done in the last ``seconds``."""
        with self._cond:
            return not self._reads and time.monotonic() - self._last_read >= seconds

    def running_read(self, flag: bool) -> None:
        """Mark the calling thread as running a read (it never pauses) or not."""
        self._local.reading = flag

    def checkpoint(self) -> float:
        """Pause the calling write work while reads are in progress (at most ``max_pause_s``); seconds paused."""
        if getattr(self._local, "reading", False):
            return 0.0
        with self._cond:
            if not self._reads:
                return 0.0
            started = time.monotonic()
            self.pauses += 1
            self._cond.wait_for(lambda: not self._reads, self.max_pause_s)
            return time.monotonic() - started
