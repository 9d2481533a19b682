"""Coalesces mem0's one-record-at-a-time vector inserts into one call per batch.

mem0's ``add(infer=False)`` inserts each message with its own Chroma ``add``,
and Chroma commits every call (about 6 ms each here), which caps bulk adds near
100 memories/s. Inside :meth:`BatchingVectorStore.batch`, inserts made by the
calling thread are buffered and written with one ``insert`` at the end; mem0
still computes ids, payloads and history exactly as it always does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class BatchingVectorStore:
    """Wraps a mem0 vector store; every attribute but ``insert`` passes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def insert(self, vectors: list, payloads: list | None = None, ids: list | None = None) -> Any:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            return self._inner.insert(vectors=vectors, payloads=payloads, ids=ids)
        buffer[0].extend(vectors)
        buffer[1].extend(payloads or [{} for _ in vectors])
        buffer[2].extend(ids or [])
        return None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Buffer this thread's inserts and write them in one call when the block ends."""
        self._local.buffer = ([], [], [])
        try:
            yield
            vectors, payloads, ids = self._local.buffer
        finally:
            buffered = self._local.buffer
            self._local.buffer = None
        if buffered[0]:
            self._inner.insert(vectors=vectors, payloads=payloads, ids=ids)
