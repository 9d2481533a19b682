"""A multinomial logistic regression over sentence embeddings, trained at startup.

The training set is ``exemplars.jsonl`` (hand-written for this project). With a
few hundred 384-d rows, full-batch gradient descent in numpy trains in tens of
milliseconds; embedding the exemplars dominates, so their vectors can be cached
on disk keyed by the file's content hash and the embedder's name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

EXEMPLARS_PATH = Path(__file__).with_name("exemplars.jsonl")


class Embedder(Protocol):
    """What the gate needs from an embedder: L2-normalised rows, one per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Exemplar:
    """One labelled training utterance."""

    text: str
    kind: str
    role: str


def load_exemplars(path: Path = EXEMPLARS_PATH) -> list[Exemplar]:
    """Read the JSONL exemplar file (fields: text, kind, role)."""
    rows: list[Exemplar] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                rows.append(Exemplar(item["text"], item["kind"], item.get("role", "user")))
    return rows


def embed_exemplars(
    embedder: Embedder, exemplars: Sequence[Exemplar], cache_dir: Path | None = None
) -> np.ndarray:
    """Embeddings of the exemplars, read from / written to ``cache_dir`` when given."""
    texts = [e.text for e in exemplars]
    if cache_dir is None:
        return embedder.embed(texts)
    digest = hashlib.sha256(("\n".join(texts) + getattr(embedder, "name", "")).encode()).hexdigest()[:16]
    cache_file = cache_dir / f"gate-exemplars-{digest}.npy"
    if cache_file.is_file():
        try:
            cached = np.load(cache_file)
        except (OSError, ValueError, EOFError):  # a damaged cache is only a cache: embed again and replace it
            cached = None
        if cached is not None and cached.shape == (len(texts), getattr(embedder, "dims", cached.shape[-1])):
            return cached
    vectors = embedder.embed(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(cache_file)
    return vectors


class KindClassifier:
    """Softmax regression from embedding to kind; ``predict_proba`` returns one row per text."""

    def __init__(self, l2: float = 1e-3, epochs: int = 400, learning_rate: float = 2.0, scale: float = 8.0) -> None:
        self.l2 = l2
        self.epochs = epochs
        self.learning_rate = learning_rate
        # cosine-scale inputs are small; scaling them lets the softmax get confident
        self.scale = scale
        self.kinds: tuple[str, ...] = ()
        self._weights = np.zeros((0, 0), dtype=np.float32)
        self._bias = np.zeros(0, dtype=np.float32)

    def fit(self, vectors: np.ndarray, kinds: Sequence[str]) -> "KindClassifier":
        """Train on rows of ``vectors`` labelled by ``kinds`` (class-balanced)."""
        self.kinds = tuple(sorted(set(kinds)))
        index = {k: i for i, k in enumerate(self.kinds)}
        labels = np.array([index[k] for k in kinds])
        x = vectors.astype(np.float64) * self.scale
        n, dims = x.shape
        classes = len(self.kinds)
        onehot = np.eye(classes)[labels]
        counts = np.bincount(labels, minlength=classes)
        sample_weight = (n / (classes * counts[labels]))[:, None]
        weights = np.zeros((dims, classes))
        bias = np.zeros(classes)
        for _ in range(self.epochs):
            probs = _softmax(x @ weights + bias)
            error = (probs - onehot) * sample_weight / n
            weights -= self.learning_rate * (x.T @ error + self.l2 * weights)
            bias -= self.learning_rate * error.sum(axis=0)
        self._weights = weights.astype(np.float32)
        self._bias = bias.astype(np.float32)
        return self

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`kinds`."""
        if not self.kinds:
            raise RuntimeError("classifier is not trained")
        return _softmax((vectors * self.scale) @ self._weights + self._bias)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
