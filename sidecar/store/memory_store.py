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

Reads first (``reads_first=True``, the daemon's start): the embedder, the keyword
index and the Chroma collection (opened directly, :mod:`sidecar.store.chroma_open`)
are enough for a plain-scope search, ``get``, ``count`` and ``newest``, so they are
opened first and answer at once; mem0 (seconds to import) is loaded afterwards by
:meth:`MemoryStore.load_writes`, and every operation that needs it waits for it
(:mod:`sidecar.store.load_state`). The keyword index is compared with the store
(:meth:`HybridIndex.resync`) there too, before the first write.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from sidecar.config.settings import Settings
from sidecar.keyed_locks import KeyedLocks
from sidecar.store.bulk_rows import BulkRows, listable, listed
from sidecar.store.backend import EmbeddedBackend, StoreBackend, open_backend
from sidecar.store.chroma_open import local_chroma, open_rows
from sidecar.store.chroma_rows import ChromaRows
from sidecar.store.dense import DenseChannel
from sidecar.store.embedder import StoreEmbedder, build_embedded
from sidecar.store.hybrid import HybridIndex
from sidecar.store.hybrid_search import hybrid_search
from sidecar.store.interface import MemoryNotFound, Observer, StoreChange
from sidecar.store.load_state import WritesLoading
from sidecar.store.mem0_adapter import Mem0Adapter  # cheap: mem0 itself is imported by Mem0Adapter.open
from sidecar.store.mem0_config import EmbedderChoice
from sidecar.store.preflight import check_embedder
from sidecar.store.row_copies import FILE_NAME as ROW_COPIES_FILE, RowCopies
from sidecar.store.scan import all_rows
from sidecar.store.unavailable import guard_methods
from sidecar.store.verbatim import add_verbatim
from sidecar.store.write_coordination import WriteCoordination, scope_of
from sidecar.store.scope_filters import bind_filters, check_scope, only_in_scope
from sidecar_shared.protocol import scope_ids

__all__ = ["MemoryNotFound", "MemoryStore", "Observer", "StoreChange"]


class MemoryStore(BulkRows, WriteCoordination):
    """mem0 ``Memory`` over the configured vector store, with the embedder the config names.

    Writers that must not interleave within one scope (the API's add, update and
    delete, the write gate's reconcile-and-apply) take :meth:`scope_lock`; update
    and delete take the scope of the memory they change. Observers registered
    with :meth:`subscribe` hear about every write after it is applied.
    """

    def __init__(self, settings: Settings, backend: StoreBackend | None = None, *,
                 reads_first: bool = False) -> None:
        """Open the store ``backend`` serves (default: the one the config names, see :mod:`sidecar.store.backend`).

        With ``reads_first`` (and a local Chroma store with the embedded model and hybrid
        search), mem0 is not loaded yet: call :meth:`load_writes` (on any thread) next.
        """
        backend = backend if backend is not None else open_backend(settings)
        self.backend = backend
        self.choice: EmbedderChoice = backend.choice
        self.path = settings.store_dir
        self._mem0: Mem0Adapter | None = None
        self._rows: ChromaRows | None = None  # direct reads while mem0 loads
        self.writes = WritesLoading()
        self._locks = KeyedLocks()
        self._observers: list[Observer] = []
        self.last_client_read = 0.0  # monotonic time of the latest client read; background work yields to it
        self.hybrid: HybridIndex | None = None
        self.dense: DenseChannel | None = None
        self.copies: RowCopies | None = None  # search results' rows, read without Chroma (sidecar.store.row_copies)
        try:
            self.embedder: StoreEmbedder | None = None
            if self.choice.embedded:
                self.embedder = build_embedded(self.choice.name, threads=settings.embedder_threads)
            else:
                check_embedder(backend.mem0_config)
            early = reads_first and self.embedder is not None and settings.search.hybrid \
                and isinstance(backend, EmbeddedBackend)
            self._rows = open_rows(backend.mem0_config) if early else None
            if settings.search.hybrid:
                self.hybrid = HybridIndex(settings.store_dir / "keyword.db", keyword=backend.keyword_index(),
                                          use_neighbour=settings.search.keyword_context != "date")
            if self._rows is not None and self.hybrid is not None:
                self.dense = DenseChannel(self._rows, self.hybrid.keyword.count)
            else:
                self.load_writes()
        except BaseException:
            if self.hybrid:
                self.hybrid.close()
            backend.close()
            raise

    def load_writes(self) -> None:
        """Load mem0 (the writes' part) and bring the keyword index in step; a no-op once loaded.

        A failure is raised here and, from then on, by every operation that needs mem0.
        """
        if self._mem0 is not None:
            return
        backend = self.backend
        try:
            rows = self._rows if self._rows is not None else backend.rows
            if self.copies is None and self.hybrid and isinstance(backend, EmbeddedBackend) \
                    and local_chroma(backend.mem0_config):
                self.copies = RowCopies(self.path / ROW_COPIES_FILE)  # opened here: reads-first starts without it
            mem0 = Mem0Adapter.open(backend.mem0_config, self.embedder, rows=rows, history=backend.history,
                                    copies=self.copies)
            if isinstance(backend, EmbeddedBackend):
                backend.opened()
            if self.hybrid:
                batch = getattr(self.hybrid.keyword, "batch", None)
                with batch() if batch is not None else nullcontext():
                    stored = all_rows(mem0)
                    self.hybrid.resync(self.copies.synced(stored) if self.copies else stored, mem0.count())
                if self.dense is None:
                    self.dense = DenseChannel(mem0, self.hybrid.keyword.count)
        except BaseException as exc:
            self.writes.failed(exc)
            raise
        self._mem0 = mem0
        self.writes.ready()

    def _loaded(self) -> Mem0Adapter:
        """mem0, once loaded (waits for :meth:`load_writes` on another thread)."""
        if self._mem0 is None:
            self.writes.wait()
        assert self._mem0 is not None
        return self._mem0

    def _reader(self) -> Any:
        """Raw row reads: mem0's adapter once loaded, else the collection read directly."""
        return self._mem0 if self._mem0 is not None or self._rows is None else self._rows

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
            return self._loaded().add(messages, scope, metadata)
        return add_verbatim(self._loaded(), messages, scope, metadata)

    def search(self, query: str, *, filters: dict[str, Any], top_k: int = 20,
               threshold: float | None = None) -> dict[str, Any]:
        """Hybrid (dense + keyword) when the filters are plain scope ids, else mem0's dense search.

        The filters' scope ids bound the results whatever else they say (see
        :mod:`sidecar.store.scope_filters`); :class:`ScopeError` for filters that try to widen them.
        """
        bound = bind_filters(filters)
        if self.hybrid is None or self.dense is None or not bound.plain:
            return only_in_scope(self._loaded().search(query, bound.as_filters(), top_k, threshold), bound.scope)
        return {"results": hybrid_search(self.hybrid, self.dense, query, self._query_vector, bound.scope, top_k,
                                         threshold)}

    def search_status(self) -> dict[str, Any]:
        """How searches have been answered since the start: the dense channel's query strategies and the
        row copies' state and hits (``None`` where the store has no such part)."""
        dense = self.dense
        return {
            "hybrid": self.hybrid is not None,
            "dense_queries": None if dense is None else {
                "whole_store": dense.bare_queries, "unfiltered": dense.unfiltered_queries,
                "filtered": dense.filtered_queries},
            "row_copies": None if self.copies is None else self.copies.status(),
        }

    def _query_vector(self, query: str) -> Any:
        if self._mem0 is None and self.embedder is not None:
            return self.embedder.query_one(query)  # what mem0's embedding model hands back for "search"
        return self._loaded().embed_query(query)

    def get(self, memory_id: str) -> dict[str, Any] | None:
        """One memory in mem0's ``get`` shape, or None."""
        if self._mem0 is not None or self._rows is None:
            return self._loaded().get(memory_id)
        rows = self._rows.rows([memory_id])
        return {**rows[0].record(), "score": None} if rows else None  # mem0's get: get_all's shape + score None

    def get_all(self, *, filters: dict[str, Any], top_k: int = 100) -> dict[str, Any]:
        """Up to ``top_k`` memories of the filters' scope (bounded by it like :meth:`search`)."""
        bound = bind_filters(filters)
        if self._mem0 is None and self._rows is not None and bound.plain and listable(bound.scope):
            return only_in_scope({"results": listed(self._rows, bound.scope, top_k)}, bound.scope)
        return only_in_scope(self._loaded().get_all(bound.as_filters(), top_k), bound.scope)

    def update(self, memory_id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Change one memory's text and/or metadata; raise :class:`MemoryNotFound`."""
        with self._existing_locked(memory_id) as existing:
            result = self._loaded().update(memory_id, text=text, metadata=metadata)
            if self.hybrid:
                self.hybrid.updated(memory_id, text if text is not None else str(existing.get("memory", "")),
                                    scope_of(existing))
        self._notify(StoreChange("UPDATE", memory_id, scope_of(existing), text or existing.get("memory")))
        return result

    def delete(self, memory_id: str) -> dict[str, Any]:
        """Delete one memory; raise :class:`MemoryNotFound`."""
        with self._existing_locked(memory_id) as existing:
            result = self._loaded().delete(memory_id)
            if self.hybrid:
                self.hybrid.deleted(memory_id)
        self._notify(StoreChange("DELETE", memory_id, scope_of(existing), existing.get("memory")))
        return result

    def delete_all(self, *, user_id: str | None = None, agent_id: str | None = None,
                   run_id: str | None = None) -> dict[str, Any]:
        scope = check_scope(scope_ids(user_id, agent_id, run_id))
        with self.scope_lock(scope):
            result = self._loaded().delete_all(scope)
            if self.hybrid:
                self.hybrid.deleted_scope(scope)
        self._notify(StoreChange("DELETE_ALL", None, scope))
        return result

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self._loaded().history(memory_id)

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """Ids of memories (stored ones first, then deleted ones history remembers) that start with ``prefix``."""
        return self._loaded().ids_with_prefix(prefix)

    def rewrite_history(self, rewrite: Callable[[str], str], *, dry_run: bool = False) -> int:
        """Apply ``rewrite`` to every text mem0's history keeps (old versions too); rows changed (the secret scrub)."""
        return self._loaded().rewrite_history(rewrite, dry_run=dry_run)

    def close(self) -> None:
        if self.hybrid:
            self.hybrid.close()
        if self.copies:
            self.copies.close()
        if self._mem0 is not None:
            self._mem0.close()
        self.backend.close()


guard_methods(MemoryStore, ("add", "search", "get", "get_all", "update", "delete", "delete_all", "history",
                            "rewrite_history", "count", "newest", "scan", "copy_in", "read_rows", "present"))

