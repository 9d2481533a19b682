"""What every embedded embedder shares: thread count, the checkpoint, the LRU cache of vectors.

:class:`CachedEmbedder` is the base of :class:`~sidecar.store.embedder.MiniLMEmbedder` and
:class:`~sidecar.store.e5_embedder.E5Embedder`: a subclass loads its model and supplies the
function that embeds the texts the cache does not hold, calling :meth:`CachedEmbedder.pause`
before each model run (the composition root sets the checkpoint to the RPC layer's
reads-first pause, so write work waits there while a search runs).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np


def no_checkpoint() -> None:
    """The default checkpoint: never pauses."""


def always_quiet() -> bool:
    """The default for :meth:`CachedEmbedder.set_quiet`: extra workers always help."""
    return True


def default_threads() -> int:
    """One intra-op thread per call on small boxes: the daemon runs calls in parallel."""
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else min(4, cores // 2)


def default_bulk_workers() -> int:
    """Model runs of one large batch at once: two on a box of two cores or more, else one.

    One call's runs use one intra-op thread each, so a batch of many texts (a verbatim import) leaves the
    other core idle without a second worker (batches of 500 LoCoMo turns through the daemon on two cores:
    ~98 -> 140-159 memories/s, 2026-12-01). The extra worker runs only while reads are quiet (see
    :meth:`CachedEmbedder.set_quiet`). The runs of a small batch (a search, the write gate's few sentences)
    stay on the caller's thread, and every run still waits at the checkpoint first."""
    return 1 if (os.cpu_count() or 1) < 2 else 2


Chunk = TypeVar("Chunk")


class CachedEmbedder:
    """An LRU cache of vectors by key, a count of model calls, and the checkpoint before each run."""

    dims: int

    def __init__(self, cache_size: int) -> None:
        self._cache: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._checkpoint: Callable[[], object] = no_checkpoint
        self._quiet: Callable[[], bool] = always_quiet
        self.calls = 0

    def set_checkpoint(self, checkpoint: Callable[[], object] | None) -> None:
        """Call ``checkpoint`` before each model run (None: never pause)."""
        self._checkpoint = checkpoint or no_checkpoint

    def set_quiet(self, quiet: Callable[[], bool] | None) -> None:
        """Let a large batch's extra workers start a run only while ``quiet()`` (None: always). The
        composition root passes the RPC layer's "no read lately": searches that keep coming share the cores
        with one model run of a bulk write, as before; only the first after a quiet spell can meet two."""
        self._quiet = quiet or always_quiet

    def pause(self) -> None:
        """Wait at the checkpoint; subclasses call it before each model run."""
        self._checkpoint()

    def run_each(self, chunks: Sequence[Chunk], run: Callable[[Chunk], object], workers: int) -> None:
        """``run(chunk)`` for every chunk, each after :meth:`pause`. The calling thread takes chunks until
        none are left; up to ``workers - 1`` more threads help while the checkpoint's reads are quiet, and
        stop at the first chunk they would start in a busy moment. The first error is raised once all
        have stopped."""
        pending = deque(chunks)
        lock = threading.Lock()

        def take(helper: bool) -> None:
            while True:
                if helper and not self._quiet():
                    return
                with lock:
                    if not pending:
                        return
                    chunk = pending.popleft()
                try:
                    self.pause()
                    run(chunk)
                except BaseException:
                    with lock:
                        pending.clear()  # the other threads stop after their current chunk
                    raise

        helpers = min(workers, len(chunks)) - 1
        if helpers <= 0:
            take(False)
            return
        with ThreadPoolExecutor(max_workers=helpers, thread_name_prefix="embed") as pool:
            futures = [pool.submit(take, True) for _ in range(helpers)]
            take(False)
        for future in futures:
            future.result()

    def cached(self, keys: Sequence[Hashable], compute: Callable[[list[int]], np.ndarray]) -> np.ndarray:
        """Vectors for ``keys``: cached ones as they are, the others from ``compute(missing positions)``.

        ``compute`` returns one row per missing position, in their order; a call that needs it
        counts in :attr:`calls`.
        """
        if len(keys) == 1:
            return self._cached_one(keys[0], lambda: compute([0]))
        out = np.zeros((len(keys), self.dims), dtype=np.float32)
        missing: list[int] = []
        with self._cache_lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if not missing:
            return out
        self.calls += 1
        out[missing] = compute(missing)
        with self._cache_lock:
            for i in missing:
                self._cache[keys[i]] = out[i]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def _cached_one(self, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """:meth:`cached` for one key (a search's query): the same cache and count, without the batch's bookkeeping."""
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit.reshape(1, -1).copy()
        self.calls += 1
        out = np.ascontiguousarray(compute(), dtype=np.float32).reshape(1, self.dims)
        with self._cache_lock:
            self._cache[key] = out[0]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out.copy()
