"""The Python client library of the memory daemon (mem0-shaped: add, search, get, ...).

Nothing in this package imports mem0, chromadb, onnxruntime or watchdog; the
wire protocol, paths and errors it shares with the daemon live in
:mod:`sidecar_shared`.

``Client.add`` stores text verbatim by default (``infer=False``), unlike mem0;
:class:`Memory` is the same client with mem0's default (``infer=True``: through the
write gate, so an assistant's pleasantries are not stored).
"""

from typing import TYPE_CHECKING, Any

from sidecar_client.client import Client
from sidecar_client.mem0_compat import Memory
from sidecar_shared.errors import (Busy, DaemonNotRunning, DaemonTimeout, NotFound, RequestFailed, SecretDetected,
                                   SidecarError)

if TYPE_CHECKING:
    from sidecar_client.asyncio_client import AsyncClient

__version__ = "0.1.0"
__all__ = ["AsyncClient", "Busy", "Client", "DaemonNotRunning", "DaemonTimeout", "Memory", "NotFound", "RequestFailed",
           "SecretDetected", "SidecarError"]


def __getattr__(name: str) -> Any:
    """``AsyncClient`` on first use: asyncio costs ~20 ms of import, a third of a ``memctl`` call's start."""
    if name == "AsyncClient":
        from sidecar_client.asyncio_client import AsyncClient

        return AsyncClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
