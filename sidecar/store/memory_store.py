"""The memory store: mem0's ``Memory`` (built with ``Memory.from_config``) behind mem0-shaped ops.

mem0 is imported only here and in :mod:`sidecar.store.mem0_setup`. On top of mem0:

* the embedded MiniLM embedder is plugged in as ``memory.embedding_model``, the
  attribute every mem0 code path embeds through (mem0's own route for custom
  embedders, the ``langchain`` provider, needs the full ``langchain`` package);
* ``add(infer=False)`` skips exact duplicates within a scope (mem0 only dedups on
  the ``infer=True`` path) and writes a batch with one Chroma call;
* search is hybrid: a keyword channel kept in step with every write, fused with
  the dense results (see :mod:`sidecar.store.hybrid`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sidecar.config.settings import ConfigError, Settings
from sidecar.store.batching import BatchingVectorStore
from sidecar.store.mem0_setup import StoreError, mem0_embedding_adapter, require_ollama_model
from sidecar.store.dense import DenseChannel, record_from_payload
from sidecar.store.scan import newest_by_scan
from sidecar.store.embedder import MiniLMEmbedder
from sidecar.store.hybrid import HybridIndex
from sidecar.store.mem0_config import EmbedderChoice, build_mem0_config
from sidecar.store.meta import check_or_record
from sidecar.rpc.workers import KeyedLocks

log = logging.getLogger("sidecar.store")
SCOPE_KEYS = ("user_id", "agent_id", "run_id")


class MemoryNotFound(LookupError):
    """No memory with that id."""


@dataclass(frozen=True)
class StoreChange:
    """One write that reached the store (observers keep MEMORY.md and indexes in step)."""

    event: str                      # "ADD" | "UPDATE" | "DELETE" | "DELETE_ALL"
    memory_id: str | None
    scope: dict[str, str] = field(default_factory=dict)
    text: str | None = None


Observer = Callable[[StoreChange], None]


class MemoryStore:
    """mem0 ``Memory`` over Chroma, with the embedder the config names.

    Writers that must not interleave within one scope (the API's add, the write
    gate's reconcile-and-apply) take :meth:`scope_lock`. Observers registered
    with :meth:`subscribe` hear about every write after it is applied.
    """

    def __init__(self, settings: Settings) -> None:
        config, choice = build_mem0_config(settings)
        self.choice: EmbedderChoice = choice
        self.path = settings.store_dir
        check_or_record(settings.store_dir, choice)
        from mem0 import Memory

        self.embedder: MiniLMEmbedder | None = None
        if choice.embedded:
            self.embedder = MiniLMEmbedder(threads=settings.embedder_threads)
            # A placeholder that constructs without network or key; replaced below.
            config["embedder"] = {"provider": "lmstudio", "config": {
                "embedding_dims": choice.dims, "lmstudio_base_url": "http://127.0.0.1:9/v1"}}
        else:
            emb = config["embedder"]
            if emb.get("provider") == "ollama":
                require_ollama_model(emb["config"]["ollama_base_url"], emb["config"]["model"])
        try:
            self._memory = Memory.from_config(config)
        except Exception as exc:
            raise ConfigError(f"mem0 rejected the [mem0] config: {exc}") from exc
        if self.embedder is not None:
            if not hasattr(self._memory, "embedding_model"):
                raise StoreError("this mem0 version has no Memory.embedding_model; pin mem0ai==2.2.1")
            self._memory.embedding_model = mem0_embedding_adapter(self.embedder)
        self._vectors = BatchingVectorStore(self._memory.vector_store)
        self._memory.vector_store = self._vectors
        self._locks = KeyedLocks()
        self._observers: list[Observer] = []
        self.last_client_read = 0.0  # monotonic time of the latest client read; background work yields to it
        self.hybrid: HybridIndex | None = None
        if settings.search.get("hybrid", True):
            self.hybrid = HybridIndex(settings.store_dir / "keyword.db",
                                      use_neighbour=settings.search.get("keyword_context", "previous+date") != "date")
            self.hybrid.resync(self._all_payloads(), self.count())
            self.dense = DenseChannel(self._vectors.collection, self.hybrid.keyword.count)

    def _all_payloads(self, page: int = 2000) -> Iterator[tuple[str, dict[str, Any]]]:
        collection = self._vectors.collection
        offset = 0
        while True:
            rows = collection.get(include=["metadatas"], limit=page, offset=offset)
            for row_id, meta in zip(rows["ids"], rows["metadatas"]):
                yield row_id, meta or {}
            if len(rows["ids"]) < page:
                return
            offset += page

    # -- coordination ---------------------------------------------------------

    @contextmanager
    def scope_lock(self, scope: dict[str, Any]) -> Iterator[None]:
        """Serialise writes to one (user_id, agent_id, run_id) scope."""
        key = tuple(scope.get(k) for k in SCOPE_KEYS)
        with self._locks.hold(key):
            yield

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def _notify(self, change: StoreChange) -> None:
        for observer in self._observers:
            try:
                observer(change)
            except Exception:  # an observer must never undo or fail a write
                log.exception("store observer failed on %s %s", change.event, change.memory_id)

    # -- mem0-shaped operations ---------------------------------------------

    def add(self, messages: Any, *, user_id: str | None = None, agent_id: str | None = None,
            run_id: str | None = None, metadata: dict[str, Any] | None = None,
            infer: bool = False) -> dict[str, Any]:
        scope = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v}
        with self.scope_lock(scope):
            result = self._add_locked(messages, scope, metadata, infer)
            now = datetime.now(timezone.utc).isoformat()
            for row in result.get("results", []):
                event, memory_id, text = row.get("event"), str(row.get("id")), row.get("memory")
                if self.hybrid and event == "ADD":
                    self.hybrid.added(memory_id, text or "", scope, metadata, now)
                elif self.hybrid and event == "UPDATE":
                    self.hybrid.updated(memory_id, text or "", scope)
                elif self.hybrid and event == "DELETE":
                    self.hybrid.deleted(memory_id)
        for row in result.get("results", []):
            if row.get("event") in ("ADD", "UPDATE", "DELETE"):
                self._notify(StoreChange(row["event"], str(row.get("id")), scope, row.get("memory")))
        return result

    def _add_locked(self, messages: Any, scope: dict[str, str], metadata: dict[str, Any] | None,
                    infer: bool) -> dict[str, Any]:
        if infer:
            return self._memory.add(messages, metadata=metadata, infer=True, **scope)
        items = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
        items = [items] if isinstance(items, dict) else items
        items = [i for i in items if i.get("role") != "system" and isinstance(i.get("content"), str)]
        digests = [hashlib.md5(i["content"].encode()).hexdigest() for i in items]
        stored = self._ids_by_hash(set(digests), scope)
        fresh: list[dict[str, Any]] = []
        duplicates: list[dict[str, Any]] = []
        for item, digest in zip(items, digests):
            if digest in stored:
                duplicates.append({"id": stored[digest], "memory": item["content"], "event": "NONE"})
            else:
                stored[digest] = None  # a second copy inside this batch is a duplicate too
                fresh.append(item)
        results: list[dict[str, Any]] = []
        if fresh:
            if self.embedder is not None:  # one batched ONNX call warms the cache mem0 reads
                self.embedder.embed([item["content"] for item in fresh])
            with self._vectors.batch():
                results = self._memory.add(fresh, metadata=metadata, infer=False, **scope)["results"]
        by_text = {r["memory"]: r["id"] for r in results}
        for row in duplicates:
            row["id"] = row["id"] or by_text.get(row["memory"])
        return {"results": results + duplicates}

    def _ids_by_hash(self, digests: set[str], scope: dict[str, str]) -> dict[str, str | None]:
        """Existing memory ids in ``scope`` whose text hash is one of ``digests`` (one query)."""
        if not digests:
            return {}
        clauses = [{key: value} for key, value in scope.items()] + [{"hash": {"$in": sorted(digests)}}]
        rows = self._vectors.collection.get(where={"$and": clauses} if len(clauses) > 1 else clauses[0],
                                            include=["metadatas"])
        return {meta["hash"]: row_id for row_id, meta in zip(rows["ids"], rows["metadatas"]) if meta}

    def search(self, query: str, *, filters: dict[str, Any], top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]:
        """Hybrid (dense + keyword) when the filters are plain scope ids, else mem0's dense search."""
        if self.hybrid is None or not HybridIndex.applies(filters):
            kwargs: dict[str, Any] = {"filters": filters, "top_k": top_k}
            if threshold is not None:
                kwargs["threshold"] = threshold
            return self._memory.search(query, **kwargs)
        depth = max(top_k, self.hybrid.params.dense_depth)
        vector = self._memory.embedding_model.embed(query, "search")
        dense = self.dense.search(vector, filters, depth)
        by_id = {str(m["id"]): m for m in dense}
        results = []
        for memory_id, score, dense_score, keyword_score in self.hybrid.fuse(query, dense, filters, top_k):
            if threshold is not None and score < threshold:
                continue
            row = by_id.get(memory_id) or self._memory.get(memory_id)
            if row is None:  # deleted between the two channels
                continue
            results.append({**row, "score": score,
                            "score_details": {"dense": dense_score, "keyword": keyword_score}})
        return {"results": results}

    def get(self, memory_id: str) -> dict[str, Any] | None:
        return self._memory.get(memory_id)

    def get_all(self, *, filters: dict[str, Any], top_k: int = 100) -> dict[str, Any]:
        return self._memory.get_all(filters=filters, top_k=top_k)

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        existing = self._memory.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        result = self._memory.update(memory_id, text=text, metadata=metadata)
        if self.hybrid:
            self.hybrid.updated(memory_id, text if text is not None else str(existing.get("memory", "")),
                                _scope_of(existing))
        self._notify(StoreChange("UPDATE", memory_id, _scope_of(existing), text or existing.get("memory")))
        return result

    def delete(self, memory_id: str) -> dict[str, Any]:
        existing = self._memory.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        result = self._memory.delete(memory_id)
        if self.hybrid:
            self.hybrid.deleted(memory_id)
        self._notify(StoreChange("DELETE", memory_id, _scope_of(existing), existing.get("memory")))
        return result

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]:
        scope = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v}
        with self.scope_lock(scope):
            result = self._memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id)
            if self.hybrid:
                self.hybrid.deleted_scope(scope)
        self._notify(StoreChange("DELETE_ALL", None, scope))
        return result

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self._memory.history(memory_id)

    def count(self) -> int:
        """Number of memories in the collection (all scopes)."""
        store = self._memory.vector_store
        collection = getattr(store, "collection", None)
        return int(collection.count()) if collection is not None else -1

    def newest(self, scope: dict[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
        """The ``keep`` most recently written memories of ``scope`` (mem0's get shape), and the scope's size.

        Served by the keyword index's write order, so its cost does not grow with the
        store; without the index, the scope is scanned page by page.
        """
        if self.hybrid is None:
            return newest_by_scan(self, scope, keep)
        ids = self.hybrid.keyword.newest(scope, keep)
        rows = self._vectors.collection.get(ids=ids, include=["metadatas"]) if ids else {"ids": [], "metadatas": []}
        payloads = dict(zip(rows["ids"], rows["metadatas"]))
        records = [record_from_payload(i, payloads[i] or {}) for i in ids if i in payloads]
        return records, self.hybrid.keyword.count(scope)

    def scan(self, *, where: dict[str, Any] | None = None, offset: int = 0, limit: int | None = 1000,
             include: tuple[str, ...] = ("metadatas",)) -> dict[str, Any]:
        """One page of raw rows (ids and payloads) across all scopes, in storage order.

        For export and per-scope counts, which mem0's API cannot do (it needs a
        scope and has no offset). ``where`` is a Chroma filter; ``limit=None`` reads to the end.
        """
        collection = getattr(self._memory.vector_store, "collection", None)
        if collection is None:
            raise StoreError("this vector store cannot be scanned; export and counts need Chroma")
        return collection.get(where=where, offset=offset, limit=limit, include=list(include))

    def close(self) -> None:
        if self.hybrid:
            self.hybrid.close()
        close = getattr(self._memory, "close", None)
        if callable(close):
            close()


def _scope_of(memory: dict[str, Any]) -> dict[str, str]:
    return {k: memory[k] for k in SCOPE_KEYS if memory.get(k)}
