"""The embedders' shared part: the LRU cache by key, the count of model calls, the checkpoint before each run."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sidecar.store.embedder_base import CachedEmbedder
from sidecar.testing.waiting import ready_limit


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


def test_one_worker_runs_every_chunk_in_order_on_the_calling_thread() -> None:
    model = CountingEmbedder(cache_size=0)
    pauses: list[int] = []
    model.set_checkpoint(lambda: pauses.append(1))
    seen: list[tuple[int, int]] = []
    model.run_each([1, 2, 3], lambda chunk: seen.append((chunk, threading.get_ident())), workers=1)
    assert seen == [(1, threading.get_ident()), (2, threading.get_ident()), (3, threading.get_ident())]
    assert len(pauses) == 3


def test_a_second_worker_runs_chunks_beside_the_caller_while_reads_are_quiet() -> None:
    model = CountingEmbedder(cache_size=0)
    both_running = threading.Barrier(2, timeout=ready_limit())  # passes only if two chunks run at once
    first_of_thread: set[int] = set()
    done: list[int] = []
    lock = threading.Lock()

    def run(chunk: int) -> None:
        with lock:
            first = threading.get_ident() not in first_of_thread
            first_of_thread.add(threading.get_ident())
        if first:
            both_running.wait()
        with lock:
            done.append(chunk)

    model.run_each(list(range(6)), run, workers=2)
    assert sorted(done) == list(range(6)) and len(first_of_thread) == 2


def test_the_second_worker_stays_out_while_reads_are_busy() -> None:
    model = CountingEmbedder(cache_size=0)
    model.set_quiet(lambda: False)
    threads: set[int] = set()
    model.run_each(list(range(5)), lambda chunk: threads.add(threading.get_ident()), workers=2)
    assert threads == {threading.get_ident()}


def test_a_failing_chunk_is_raised_and_the_other_chunks_stop() -> None:
    model = CountingEmbedder(cache_size=0)
    ran: list[int] = []
    failed = threading.Event()

    def run(chunk: int) -> None:
        ran.append(chunk)
        if chunk == 0:
            failed.set()
            raise ValueError("model run failed")
        failed.wait(ready_limit())  # a chunk running beside the failing one ends only after it failed

    with pytest.raises(ValueError, match="model run failed"):
        model.run_each(list(range(50)), run, workers=2)
    assert len(ran) <= 3  # the failing chunk, the one beside it, at most one taken meanwhile

    ran.clear()
    with pytest.raises(ValueError, match="model run failed"):
        model.run_each(list(range(50)), run, workers=1)
    assert ran == [0]
