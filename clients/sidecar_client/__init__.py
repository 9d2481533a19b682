"""Thin clients of the memory daemon: protocol, client library, ``memctl``.

Nothing in this package imports mem0, chromadb, onnxruntime or watchdog.
"""

__version__ = "0.1.0"
