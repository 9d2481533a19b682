"""The vector a learned fact is stored under: its own text's embedding averaged with its utterance's.

A fact the write gate learned is short and standalone ("Dance is Gina's go-to for stress
relief"); the words people later ask with are often only in what was said ("Gina: Wow Jon,
same here! Dance is pretty much my go-to for stress relief"). The keyword channel already
indexes that utterance beside the fact (:mod:`sidecar.store.hybrid`); this gives the dense
channel the same: the stored vector is the normalised sum of the fact's and the utterance's
embeddings. The stored text stays the fact. On the LoCoMo learn path (three development
conversations) turn recall@10 of the dense channel alone went 0.467 -> 0.531; through hybrid
search R@5 0.541 -> 0.574, R@10 0.623 -> 0.629. Equal weights were best of 0.5, 0.75, 1 and
1.5 times the utterance (docs/benchmarks.md has the cost on the conflict probes).

Only rows whose metadata holds an ``utterance`` other than their text, up to
``UTTERANCE_CHARS`` long, are blended (a long agent message would drown the fact), so a
memory stored verbatim keeps its own text's vector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

UTTERANCE_CHARS = 600  # as the keyword channel's context (sidecar.store.hybrid.UTTERANCE_CONTEXT_CHARS)


def utterance_of(payload: Mapping[str, Any] | None) -> str | None:
    """The utterance a stored row was learned from, when it should shape the row's vector."""
    if not payload:
        return None
    utterance, text = payload.get("utterance"), payload.get("data")
    if not isinstance(utterance, str) or not utterance.strip() or len(utterance) > UTTERANCE_CHARS:
        return None
    if isinstance(text, str) and utterance.strip() == text.strip():
        return None
    return utterance


class FactVectors:
    """Blends the vectors of learned facts with their utterances' (passage embeddings, one batch per call)."""

    def __init__(self, embed_passages: Callable[[list[str]], Sequence[Sequence[float]]]) -> None:
        self._embed = embed_passages

    def vectors(self, vectors: Sequence[Sequence[float]], payloads: Sequence[Mapping[str, Any] | None]) -> list:
        """``vectors`` (the texts' own), each blended with its payload's utterance where it has one."""
        utterances = [utterance_of(p) for p in payloads]
        wanted = sorted({u for u in utterances if u is not None})
        if not wanted:
            return list(vectors)
        embedded = dict(zip(wanted, self._embed(wanted)))
        return [list(v) if u is None else _blend(v, embedded[u]) for v, u in zip(vectors, utterances)]

    def vector(self, vector: Sequence[float], payload: Mapping[str, Any] | None) -> list:
        return self.vectors([vector], [payload])[0]


def _blend(own: Sequence[float], context: Sequence[float]) -> list[float]:
    a = np.asarray(own, dtype=np.float32)
    b = np.asarray(context, dtype=np.float32)
    total = a / (np.linalg.norm(a) or 1.0) + b / (np.linalg.norm(b) or 1.0)
    norm = float(np.linalg.norm(total))
    return (total / norm if norm else a).tolist()
