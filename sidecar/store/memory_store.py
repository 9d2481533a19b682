"""The memory store: mem0-shaped ops over mem0 (through :mod:`sidecar.store.mem0_adapter`).

The backend (:mod:`sidecar.store.backend`: embedded Chroma + SQLite, or PostgreSQL +
pgvector shared by several daemons) supplies the raw row reads, the keyword index,
where mem0's history lives, a database-wide scope lock and what "unreachable" means.

On top of mem0:

* ``add(infer=False)`` skips exact duplicates within a scope (mem0 only dedups on
  the ``infer=True`` path) and writes a batch with one vector insert;
* search is hybrid: a keyword channel kept in step with every write, fused with
  the dense results (see :mod:`sidecar.store.hybrid`);
* writes to one scope are serialised, and observers hear about each of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sidecar.config.settings import Settings
from sidecar.keyed_locks import KeyedLocks
from sidecar.store.backend import EmbeddedBackend, StoreBackend, open_backend
from sidecar.store.chroma_rows import StoredRow, expired
from sidecar.store.dense import DenseChannel
from sidecar.store.embedder import StoreEmbedder, build_embedded
from sidecar.store.hybrid import HybridIndex
from sidecar.store.interface import MemoryNotFound, Observer, StoreChange
from sidecar.store.mem0_adapter import Mem0Adapter
from sidecar.store.mem0_config import EmbedderChoice
from sidecar.store.preflight import check_embedder
from sidecar.store.scan import all_rows, newest_by_scan
from sidecar.store.unavailable import guard_methods, unavailable_as_error
from sidecar.store.scope_filters import bind_filters, check_scope, in_scope, only_in_scope
from sidecar_shared.protocol import SCOPE_KEYS, scope_ids

log = logging.getLogger("sidecar.store")
__all__ = ["MemoryNotFound", "MemoryStore", "Observer", "StoreChange"]


class MemoryStore:
    """mem0 ``Memory`` over the configured vector store, with the embedder the config names.

    Writers that must not interleave within one scope (the API's add, update and
    delete, the write gate's reconcile-and-apply) take :meth:`scope_lock`; update
    and delete take the scope of the memory they change. Observers registered
    with :meth:`subscribe` hear about every write after it is applied.
    """

    def __init__(self, settings: Settings, backend: StoreBackend | None = None) -> None:
        """Open the store ``backend`` serves (default: the one the config names, see :mod:`sidecar.store.backend`)."""
        backend = backend if backend is not None else open_backend(settings)
        self.backend = backend
        config, choice = backend.mem0_config, backend.choice
        self.choice: EmbedderChoice = choice
        self.path = settings.store_dir
        try:
            self.embedder: StoreEmbedder | None = None
            if choice.embedded:
                self.embedder = build_embedded(choice.name, threads=settings.embedder_threads)
            else:
                check_embedder(config)
            self._mem0 = Mem0Adapter.open(config, self.embedder, rows=backend.rows, history=backend.history)
            if isinstance(backend, EmbeddedBackend):
                backend.opened()
            self._locks = KeyedLocks()
            self._observers: list[Observer] = []
            self.last_client_read = 0.0  # monotonic time of the latest client read; background work yields to it
            self.hybrid: HybridIndex | None = None
            self.dense: DenseChannel | None = None
            if settings.search.hybrid:
                self.hybrid = HybridIndex(settings.store_dir / "keyword.db", keyword=backend.keyword_index(),
                                          use_neighbour=settings.search.keyword_context != "date")
                batch = getattr(self.hybrid.keyword, "batch", None)
                with batch() if batch is not None else nullcontext():
                    self.hybrid.resync(all_rows(self._mem0), self.count())
                self.dense = DenseChannel(self._mem0, self.hybrid.keyword.count)
        except BaseException:
            backend.close()
            raise

    # -- coordination ---------------------------------------------------------

    @contextmanager
    def scope_lock(self, scope: dict[str, Any]) -> Iterator[None]:
        """Serialise writes to one (user_id, agent_id, run_id) scope."""
        key = tuple(scope.get(k) for k in SCOPE_KEYS)
        with self._locks.hold(key), unavailable_as_error(self.backend), self.backend.scope_lock(key):
            yield

    @contextmanager
    def _existing_locked(self, memory_id: str) -> Iterator[dict[str, Any]]:
        """Hold the scope lock of an existing memory; yields the memory as read under that lock.

        A memory's scope never changes (mem0 ignores scope ids in update metadata),
        so the scope read before locking is the one to lock.
        """
        existing = self._mem0.get(memory_id)
        if existing is None:
            raise MemoryNotFound(f"no memory with id {memory_id}")
        with self.scope_lock(_scope_of(existing)):
            current = self._mem0.get(memory_id)
            if current is None:  # deleted while we waited for the lock
                raise MemoryNotFound(f"no memory with id {memory_id}")
            yield current

    def subscribe(self, observer: Observer) -> None:
        """Call ``observer`` after every write (never inside a scope lock)."""
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
        """Store ``messages`` (text, a message, or a list); with ``infer``, mem0's LLM extracts facts first."""
        scope = check_scope(scope_ids(user_id, agent_id, run_id))
        with self.scope_lock(scope):
            result = self._add_locked(messages, scope, metadata, infer)
            if self.hybrid:
                self.hybrid.index_results(result, scope, metadata, messages)
        for row in result.get("results", []):
            if row.get("event") in ("ADD", "UPDATE", "DELETE"):
                self._notify(StoreChange(row["event"], str(row.get("id")), scope, row.get("memory")))
        return result

    def _add_locked(self, messages: Any, scope: dict[str, str], metadata: dict[str, Any] | None,
                    infer: bool) -> dict[str, Any]:
        if infer:
            return self._mem0.add(messages, scope, metadata)
        items = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
        items = [items] if isinstance(items, dict) else items
        items = [i for i in items if i.get("role") != "system" and isinstance(i.get("content"), str)]
        per_text = {i["content"]: dict(i["metadata"]) for i in items if isinstance(i.get("metadata"), dict)}
        items = [{k: v for k, v in i.items() if k != "metadata"} for i in items]
        stored: dict[str, str | None] = dict(self._mem0.ids_by_text_hash([i["content"] for i in items], scope))
        fresh: list[dict[str, Any]] = []
        duplicates: list[dict[str, Any]] = []
        for item in items:
            if item["content"] in stored:
                duplicates.append({"id": stored[item["content"]], "memory": item["content"], "event": "NONE"})
            else:
                stored[item["content"]] = None  # a second copy inside this batch is a duplicate too
                fresh.append(item)
        results = self._mem0.add_batch(fresh, scope, metadata, per_text or None)
        by_text = {r["memory"]: r["id"] for r in results}
        for row in duplicates:
            row["id"] = row["id"] or by_text.get(row["memory"])
        return {"results": results + duplicates}

    def search(self, query: str, *, filters: dict[str, Any], top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]:
        """Hybrid (dense + keyword) when the filters are plain scope ids, else mem0's dense search.

        The filters' scope ids bound the results whatever else they say (see
        :mod:`sidecar.store.scope_filters`); :class:`ScopeError` for filters that try to widen them.
        """
        bound = bind_filters(filters)
        if self.hybrid is None or self.dense is None or not bound.plain:
            return only_in_scope(self._mem0.search(query, bound.as_filters(), top_k, threshold), bound.scope)
        scope = bound.scope
        depth = max(top_k, self.hybrid.params.dense_depth)
        dense = self.dense.search(self._mem0.embed_query(query), scope, depth)
        fused = self.hybrid.fuse(query, dense, scope, top_k)
        by_id = self.dense.rows_of([hit[0] for hit in fused], dense, scope)  # one read for the rows still needed
        results = []
        for memory_id, score, dense_score, keyword_score in fused:
            if threshold is not None and score < threshold:
                continue
            row = by_id.get(memory_id)
            if row is None or not in_scope(row, scope) or expired(row):  # deleted meanwhile, a stray or expired row
                continue
            results.append({**row, "score": score,
                            "score_details": {"dense": dense_score, "keyword": keyword_score}})
        return {"results": results}

    def get(self, memory_id: str) -> dict[str, Any] | None:
        return self._mem0.get(memory_id)

    def get_all(self, *, filters: dict[str, Any], top_k: int = 100) -> dict[str, Any]:
        """Up to ``top_k`` memories of the filters' scope (bounded by it like :meth:`search`)."""
        bound = bind_filters(filters)
        return only_in_scope(self._mem0.get_all(bound.as_filters(), top_k), bound.scope)

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Change one memory's text and/or metadata; raise :class:`MemoryNotFound`."""
        with self._existing_locked(memory_id) as existing:
            result = self._mem0.update(memory_id, text=text, metadata=metadata)
            if self.hybrid:
                self.hybrid.updated(memory_id, text if text is not None else str(existing.get("memory", "")),
                                    _scope_of(existing))
        self._notify(StoreChange("UPDATE", memory_id, _scope_of(existing), text or existing.get("memory")))
        return result

    def delete(self, memory_id: str) -> dict[str, Any]:
        """Delete one memory; raise :class:`MemoryNotFound`."""
        with self._existing_locked(memory_id) as existing:
            result = self._mem0.delete(memory_id)
            if self.hybrid:
                self.hybrid.deleted(memory_id)
        self._notify(StoreChange("DELETE", memory_id, _scope_of(existing), existing.get("memory")))
        return result

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]:
        scope = check_scope(scope_ids(user_id, agent_id, run_id))
        with self.scope_lock(scope):
            result = self._mem0.delete_all(scope)
            if self.hybrid:
                self.hybrid.deleted_scope(scope)
        self._notify(StoreChange("DELETE_ALL", None, scope))
        return result

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self._mem0.history(memory_id)

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """Ids of memories (stored ones first, then deleted ones history remembers) that start with ``prefix``."""
        return self._mem0.ids_with_prefix(prefix)

    def rewrite_history(self, rewrite: Callable[[str], str], *, dry_run: bool = False) -> int:
        """Apply ``rewrite`` to every text mem0's history keeps (old versions too); rows changed (the secret scrub)."""
        return self._mem0.rewrite_history(rewrite, dry_run=dry_run)

    def count(self) -> int:
        """Number of memories in the collection (all scopes)."""
        return self._mem0.count()

    def newest(self, scope: dict[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
        """The ``keep`` most recently written memories of ``scope`` (mem0's get shape), and the scope's size.

        Served by the keyword index's write order, so its cost does not grow with the
        store; without the index, the scope is scanned page by page.
        """
        if self.hybrid is None:
            return newest_by_scan(self._mem0, scope, keep)
        rows = self._mem0.rows(self.hybrid.keyword.newest(scope, keep))
        return [row.record() for row in rows if row.searchable], self.hybrid.keyword.count(scope)

    def scan(self, *, where: dict[str, Any] | None = None, offset: int = 0, limit: int | None = 1000,
             include: tuple[str, ...] = ("metadatas",)) -> dict[str, Any]:
        """One page of raw rows across all scopes, in storage order: ``{"ids": [...], "metadatas": [...]}``.

        For export and per-scope counts, which mem0's API cannot do (it needs a
        scope and has no offset). ``where`` is a Chroma filter; ``limit=None`` reads
        to the end; ``include=()`` reads the ids only (no ``metadatas`` key).
        """
        unknown = set(include) - {"metadatas"}
        if unknown:
            raise ValueError(f"scan can include only 'metadatas', not {', '.join(sorted(unknown))}")
        payloads = "metadatas" in include
        rows = self._mem0.scan(where=where, offset=offset, limit=limit, payloads=payloads)
        page: dict[str, Any] = {"ids": [row.id for row in rows]}
        if payloads:
            page["metadatas"] = [dict(row.payload) for row in rows]
        return page

    def copy_in(self, rows: list[StoredRow], history: dict[str, list[dict[str, Any]]]) -> int:
        """Write rows read from another store, keeping ids, timestamps, metadata and history; rows written.

        Ids this store already holds are left alone. For ``memctl migrate``, with no daemon on this store.
        """
        known = {row.id for row in self._mem0.rows([row.id for row in rows])}
        fresh = [row for row in rows if row.id not in known]
        if not fresh:
            return 0
        self._mem0.insert_rows(fresh, [h for row in fresh for h in history.get(row.id, [])])
        if self.hybrid:
            for row in sorted(fresh, key=lambda r: str(r.created_at or "")):
                self.hybrid.added(row.id, row.text, row.scope, row.metadata, row.created_at)
        return len(fresh)

    def read_rows(self, offset: int, limit: int) -> list[StoredRow]:
        """One page of stored rows (id and mem0's payload) across all scopes, in storage order."""
        return self._mem0.scan(offset=offset, limit=limit)

    def present(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` this store holds."""
        return {row.id for row in self._mem0.rows(ids)}

    def close(self) -> None:
        if self.hybrid:
            self.hybrid.close()
        self._mem0.close()
        self.backend.close()


guard_methods(MemoryStore, ("add", "search", "get", "get_all", "update", "delete", "delete_all", "history",
                            "rewrite_history", "count", "newest", "scan", "copy_in", "read_rows", "present"))


def _scope_of(memory: dict[str, Any]) -> dict[str, str]:
    return {k: memory[k] for k in SCOPE_KEYS if memory.get(k)}
