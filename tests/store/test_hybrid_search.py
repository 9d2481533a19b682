"""A hybrid search runs its keyword channel while the query is embedded, not after it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
from sidecar.testing.waiting import ready_limit


class SignallingKeyword:
    """The store's keyword index, which says when a search has started and on which thread."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.started = threading.Event()
        self.threads: list[str] = []

    def search(self, query: str, *, filters: Mapping[str, str], limit: int = 60) -> list[tuple[str, float]]:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        return self.inner.search(query, filters=filters, limit=limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_keyword_channel_runs_while_the_query_is_embedded(isolated_home: Path):
    store = MemoryStore(load_settings())
    try:
        kept = store.add("I keep bees in my garden", user_id="alice", infer=False)["results"][0]
        store.add("My sister lives in Oslo", user_id="alice", infer=False)
        keyword = SignallingKeyword(store.hybrid.keyword)
        store.hybrid.keyword = keyword
        overlapped: list[bool] = []
        # the embedder calls its checkpoint before each model run; the query's run waits there for the
        # keyword search to start, which it never would if the keyword pass came after the embedding
        store.embedder.set_checkpoint(lambda: overlapped.append(keyword.started.wait(ready_limit())))

        hits = store.search("which insects does she keep", filters={"user_id": "alice"})["results"]

        assert overlapped and all(overlapped)
        assert keyword.threads[0] != threading.current_thread().name
        assert hits[0]["id"] == kept["id"] and hits[0]["score_details"]["keyword"] is not None
    finally:
        store.close()
