"""Notices that the daemon's socket file was deleted or replaced, so the socket thread can bind it again.

An ipc socket whose file is gone still works for the clients already connected
but nobody new can reach it, and the daemon still holds the store's lock: a
daemon nobody can reach that also keeps a new one from starting. The socket
thread calls :meth:`SocketWatch.due` on every loop and, every ``interval``
seconds, :meth:`SocketWatch.intact`; when that is false it binds again.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


class SocketWatch:
    """The identity (device, inode) of the socket file we bound, checked every ``interval`` seconds."""

    def __init__(self, path: Path, interval: float) -> None:
        self.path = path
        self.interval = interval
        self._identity: tuple[int, int] | None = None
        self._next = 0.0
        self.rebinds = 0

    def bound(self) -> None:
        """Record the file a bind just made."""
        st = os.lstat(self.path)
        self._identity = (st.st_dev, st.st_ino)
        self._next = time.monotonic() + self.interval

    def due(self) -> bool:
        return self.interval > 0 and time.monotonic() >= self._next

    def intact(self) -> bool:
        """True if the file we bound is still there (and is still ours)."""
        self._next = time.monotonic() + self.interval
        try:
            st = os.lstat(self.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity
