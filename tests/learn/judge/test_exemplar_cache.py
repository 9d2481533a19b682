"""The exemplar vectors cached on disk: a damaged cache file is embedded again, never fatal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sidecar.learn.judge.kind_classifier import Exemplar, embed_exemplars


class CountingEmbedder:
    name = "counting"
    dims = 4

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        return np.ones((len(texts), self.dims), dtype=np.float32)


EXEMPLARS = [Exemplar("I prefer tea", "preference", "user"), Exemplar("hi", "small_talk", "user")]


@pytest.mark.parametrize("damage", [b"", b"\0" * 64, b"\x93NUMPY\x01\x00garbage"])
def test_a_damaged_cache_is_embedded_again_and_replaced(tmp_path: Path, damage: bytes):
    embedder = CountingEmbedder()
    first = embed_exemplars(embedder, EXEMPLARS, tmp_path)
    assert embed_exemplars(embedder, EXEMPLARS, tmp_path).shape == first.shape and embedder.calls == 1
    (cached,) = tmp_path.glob("gate-exemplars-*.npy")
    cached.write_bytes(damage)
    assert np.array_equal(embed_exemplars(embedder, EXEMPLARS, tmp_path), first) and embedder.calls == 2
    assert embed_exemplars(embedder, EXEMPLARS, tmp_path).shape == (2, 4) and embedder.calls == 2
