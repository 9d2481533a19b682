"""The memory daemon: the only process that opens the memory store.

Heavy libraries (mem0, chromadb, onnxruntime, watchdog) are imported only
inside this package, and only after :mod:`sidecar.process.offline` has switched
their telemetry off.
"""

__version__ = "0.1.0"
