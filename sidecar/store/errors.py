"""Errors the store raises (``MemoryNotFound`` is part of :mod:`sidecar.store.interface`)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """mem0 or the vector store failed, or cannot do what was asked."""
