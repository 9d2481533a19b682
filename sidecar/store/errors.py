"""Errors the store raises (``MemoryNotFound`` is part of :mod:`sidecar.store.interface`)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """mem0 or the vector store failed, or cannot do what was asked."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached now (a database restart, a network cut): retry later."""

    wire_code = "store_unavailable"
