"""Whether the part of the store that writes (mem0) has loaded: reads may be served before it.

The daemon opens the store's reads first (Chroma directly, the keyword index, the
embedder) and loads mem0 afterwards on its build thread; an operation that needs
mem0 meanwhile waits here, and hears the load's failure instead of waiting forever.
"""

from __future__ import annotations

import threading

from sidecar.store.errors import StoreError

LOADING, READY, FAILED = "loading", "ready", "failed"


class WritesLoading:
    """A one-way latch: loading → ready, or loading → failed (with the reason)."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._failure: BaseException | None = None

    @property
    def state(self) -> str:
        """``loading``, ``ready`` or ``failed``."""
        if not self._done.is_set():
            return LOADING
        return FAILED if self._failure is not None else READY

    def ready(self) -> None:
        self._done.set()

    def failed(self, exc: BaseException) -> None:
        self._failure = exc
        self._done.set()

    def wait(self) -> None:
        """Return once loaded; raise :class:`StoreError` if the load failed."""
        self._done.wait()
        if self._failure is not None:
            raise StoreError(f"the store's writes could not be loaded: {' '.join(str(self._failure).split())}")
