"""The embedders' shared part: the LRU cache by key, the count of model calls, the checkpoint before each run."""

from __future__ import annotations

import numpy as np

from sidecar.store.embedder_base import CachedEmbedder


class CountingEmbedder(CachedEmbedder):
    """Vector i of a text is its length in every slot; remembers which texts reached the 'model'."""

    dims = 3

    def __init__(self, cache_size: int) -> None:
        super().__init__(cache_size)
        self.computed: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.cached(texts, lambda missing: self._compute([texts[i] for i in missing]))

    def _compute(self, texts: list[str]) -> np.ndarray:
        self.pause()
        self.computed += texts
        return np.array([[len(t)] * self.dims for t in texts], dtype=np.float32)


def test_cached_texts_do_not_reach_the_model_and_rows_keep_their_order() -> None:
    model = CountingEmbedder(cache_size=10)
    model.embed(["bb"])
    out = model.embed(["a", "bb", "cccc"])
    assert model.computed == ["bb", "a", "cccc"] and model.calls == 2
    assert out[:, 0].tolist() == [1.0, 2.0, 4.0] and out.dtype == np.float32
    model.embed(["cccc", "a"])
    assert model.calls == 2


def test_the_least_recently_used_text_is_evicted_first() -> None:
    model = CountingEmbedder(cache_size=2)
    model.embed(["a", "bb"])
    model.embed(["a"])  # "a" is now the most recently used
    model.embed(["ccc"])  # evicts "bb"
    model.computed.clear()
    model.embed(["a", "bb", "ccc"])
    assert model.computed == ["bb"]


def test_the_checkpoint_runs_before_a_model_run_only() -> None:
    model = CountingEmbedder(cache_size=10)
    pauses: list[int] = []
    model.set_checkpoint(lambda: pauses.append(1))
    model.embed(["a", "bb"])
    model.embed(["a"])
    assert len(pauses) == 1
    model.set_checkpoint(None)
    model.embed(["new"])
    assert len(pauses) == 1 and model.computed[-1] == "new"


def test_one_text_shares_the_cache_and_the_count_with_batches_and_gets_its_own_copy() -> None:
    model = CountingEmbedder(cache_size=10)
    first = model.embed(["abc"])
    assert first.shape == (1, 3) and first.dtype == np.float32 and first[0].tolist() == [3.0] * 3
    assert model.calls == 1
    model.embed(["abc", "de"])  # the batch finds "abc" cached
    assert model.computed == ["abc", "de"] and model.calls == 2
    again = model.embed(["de"])  # one text finds what a batch cached
    assert again[0].tolist() == [2.0] * 3 and model.calls == 2
    again[0, 0] = 99.0  # the caller's copy, not the cache's row
    assert model.embed(["de"])[0].tolist() == [2.0] * 3 and model.computed == ["abc", "de"]


def test_one_text_past_the_cache_size_is_not_kept() -> None:
    model = CountingEmbedder(cache_size=0)
    model.embed(["abc"])
    model.embed(["abc"])
    assert model.computed == ["abc", "abc"] and model.calls == 2
