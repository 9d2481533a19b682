"""The one door to mem0: its ``Memory``, vector store, history and embedder are touched only here.

With :mod:`sidecar.store.chroma_rows` (the direct reads of mem0's Chroma rows), :mod:`~sidecar.store.mem0_build`
(building mem0) and :mod:`~sidecar.store.mem0_holding` (batched writes),
this module is all the daemon knows about mem0 2.2.1; what it assumes is pinned
by ``tests/store/test_mem0_adapter.py``, so an upgrade fails there first:

* every mem0 code path embeds through ``Memory.embedding_model``, so the embedded
  MiniLM model is plugged in there (mem0's own route for custom embedders, the
  ``langchain`` provider, needs the full ``langchain`` package);
* ``add(infer=False)`` writes each message with ``vector_store.insert(vectors=,
  payloads=, ids=)`` and then ``db.add_history(...)``; :meth:`Mem0Adapter.add_batch`
  holds both and writes them after mem0 returns, the vectors in one Chroma call
  (Chroma commits every call, ~6 ms each) and then the history in one SQLite
  transaction, so a failed insert leaves no history behind;
* ``Memory.update(memory_id, text=, metadata=)``, and history rows with the
  columns of mem0's ``SQLiteManager``.
Calls into Chroma pass the write checkpoint (:mod:`~sidecar.store.chroma_gate`); mem0 is imported lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sidecar.store.chroma_rows import ChromaRows, ScoredRow, StoredRow, chroma_reads, text_hash
from sidecar.store.embedder import StoreEmbedder
from sidecar.store.errors import StoreError
from sidecar.store.fact_vectors import FactVectors
from sidecar.store.mem0_build import build_memory
from sidecar.store.mem0_holding import Batches, HeldWrites, HoldingHistory, HoldingVectorStore

log = logging.getLogger("sidecar.store.mem0")
class Mem0Adapter:
    """mem0's ``Memory`` behind a narrow API: mem0-shaped writes and reads, and raw row access.

    Results of :meth:`add`, :meth:`get`, :meth:`get_all`, :meth:`search` and
    :meth:`history` are mem0's own dicts, unchanged.
    """

    def __init__(self, memory: Any, embedder: StoreEmbedder | None = None, *, rows: Any = None,
                 history: Any = None, copies: Any = None) -> None:
        """Wrap ``memory`` (from :func:`build_memory`); the adapter owns it from now on.

        ``rows`` reads the vector store directly (default: mem0's Chroma collection);
        ``history`` replaces mem0's SQLite history (the server backend keeps it in PostgreSQL);
        ``copies`` (:class:`~sidecar.store.row_copies.RowCopies`) answer row reads and follow every write.
        """
        if history is not None:
            memory.db = history
        self._memory = memory
        self._embedder = embedder
        self._batches = Batches()
        self._vectors = memory.vector_store
        self._history = memory.db
        self._fact_vectors = FactVectors(lambda texts: memory.embedding_model.embed_batch(texts, "add"))
        memory.vector_store = HoldingVectorStore(self._vectors, self._batches, self._fact_vectors)
        memory.db = HoldingHistory(self._history, self._batches)
        # the embedder's checkpoint is the daemon's write checkpoint (set by the composition root)
        self._rows = chroma_reads(self._vectors, rows, getattr(embedder, "pause", None), copies)

    @classmethod
    def open(cls, config: Mapping[str, Any], embedder: StoreEmbedder | None = None, *, rows: Any = None,
             history: Any = None, copies: Any = None) -> Mem0Adapter:
        """Build mem0 from ``config`` (see :func:`build_memory`) and wrap it."""
        return cls(build_memory(config, embedder), embedder, rows=rows, history=history, copies=copies)

    # -- writes ---------------------------------------------------------------

    def add(self, messages: Any, scope: Mapping[str, str], metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        """mem0's inferring add (its LLM extracts facts and reconciles them): ``{"results": [...]}``."""
        return self._memory.add(messages, metadata=_dict(metadata), infer=True, **scope)

    def add_batch(self, messages: Sequence[Mapping[str, Any]], scope: Mapping[str, str],
                  metadata: Mapping[str, Any] | None,
                  per_text: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Store each message as a memory, verbatim; mem0's result rows (``event`` "ADD").

        One vector insert for the batch, then its history in one transaction; when
        either fails, nothing of the batch remains and the error is raised.
        ``per_text`` adds metadata of its own to the memory of each text (an import).
        """
        if not messages:
            return []
        if self._embedder is not None:  # one batched ONNX call warms the cache mem0 reads
            self._embedder.embed([str(m["content"]) for m in messages])
        self._batches.held = held = HeldWrites()
        try:
            results = self._memory.add([dict(m) for m in messages], metadata=_dict(metadata), infer=False,
                                       **scope)["results"]
        finally:
            self._batches.held = None
        for payload in held.payloads if per_text else ():
            extra = per_text.get(str(payload.get("data")))
            payload.update({k: v for k, v in (extra or {}).items() if k not in payload})
        self._apply(held)
        return results

    def _apply(self, held: HeldWrites) -> None:
        if held.vectors:
            self._vectors.insert(vectors=held.vectors, payloads=held.payloads, ids=held.ids)
        if not held.history:
            return
        try:
            self._history.batch_add_history(held.history)
        except Exception:
            log.error("history of a batch could not be written; removing its %d vectors", len(held.ids))
            for memory_id in held.ids:
                self._vectors.delete(vector_id=memory_id)
            raise

    def insert_rows(self, rows: Sequence[StoredRow], history: Sequence[Mapping[str, Any]]) -> None:
        """Write ``rows`` as they are (ids, payloads, timestamps) with their ``history`` rows: a store migration.

        The texts are embedded again by this store's embedder (the same model on both sides).
        """
        vectors = self._fact_vectors.vectors(self._memory.embedding_model.embed_batch([row.text for row in rows], "add"),
                                             [row.payload for row in rows])
        self._apply(HeldWrites([list(v) for v in vectors], [dict(r.payload) for r in rows], [r.id for r in rows],
                                [dict(h) for h in history]))

    def update(self, memory_id: str, text: str | None = None,
               metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Replace the text and/or merge ``metadata`` into one memory (mem0 records the history)."""
        return self._memory.update(memory_id, text=text, metadata=_dict(metadata))

    def delete(self, memory_id: str) -> dict[str, Any]:
        """Delete one memory (mem0 records the history); mem0 raises ``ValueError`` for an unknown id."""
        return self._memory.delete(memory_id)

    def delete_all(self, scope: Mapping[str, str]) -> dict[str, Any]:
        """Delete every memory of ``scope`` (at least one scope id)."""
        return self._memory.delete_all(**scope)

    # -- reads through mem0 ---------------------------------------------------

    def get(self, memory_id: str) -> dict[str, Any] | None:
        """One memory in mem0's ``get`` shape, or None."""
        may_hold = getattr(self._rows, "may_hold", None)  # pgvector: an id that is no UUID is an SQL error
        if may_hold is not None and not may_hold(memory_id):
            return None
        return self._memory.get(memory_id)

    def get_all(self, filters: Mapping[str, Any], top_k: int) -> dict[str, Any]:
        """Up to ``top_k`` memories matching ``filters`` (at least one scope id): ``{"results": [...]}``."""
        return self._memory.get_all(filters=dict(filters), top_k=top_k)

    def search(self, query: str, filters: Mapping[str, Any], top_k: int,
               threshold: float | None = None) -> dict[str, Any]:
        """mem0's own (dense) search; ``threshold=None`` keeps mem0's default."""
        kwargs: dict[str, Any] = {"filters": dict(filters), "top_k": top_k}
        if threshold is not None:
            kwargs["threshold"] = threshold
        return self._memory.search(query, **kwargs)

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """mem0's history rows of one memory, oldest first."""
        return self._memory.history(memory_id)

    def rewrite_history(self, rewrite: Callable[[str], str], *, dry_run: bool = False) -> int:
        """Apply ``rewrite`` (text -> text) to every text of mem0's history database; rows changed.

        Through mem0's own connection under its lock (``SQLiteManager.connection``/``_lock``).
        """
        from sidecar.store.history_texts import rewrite_texts

        if hasattr(self._history, "rewrite_texts"):  # the server backend's history
            return self._history.rewrite_texts(rewrite, dry_run=dry_run)
        with self._history._lock:
            return rewrite_texts(self._history.connection, rewrite, dry_run=dry_run)

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix``: stored memories first, then those only mem0's history remembers."""
        live = [row.id for row in self._chroma().scan(None, 0, None, False) if row.id.startswith(prefix)]
        if hasattr(self._history, "ids_with_prefix"):  # the server backend's history
            return live + sorted(set(self._history.ids_with_prefix(prefix)) - set(live))
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._history._lock:
            known = self._history.connection.execute(
                "SELECT DISTINCT memory_id FROM history WHERE memory_id LIKE ? ESCAPE '\\'", (pattern,)).fetchall()
        return live + sorted({str(row[0]) for row in known if str(row[0]).startswith(prefix)} - set(live))

    def embed_query(self, text: str) -> Any:
        """The vector mem0 would search with for ``text``: with the embedded model, its float32 row as the model
        made it (what mem0's ``embed(text, "search")`` hands back as a list; Chroma takes the row as it is)."""
        embed_queries = getattr(self._embedder, "embed_queries", None)  # the model build_memory plugged in
        if embed_queries is not None:
            return embed_queries([text])[0]
        return self._memory.embedding_model.embed(text, "search")

    # -- raw rows ---------------------------------------------------------------

    def count(self) -> int:
        """Memories in the store, all scopes (-1 when the vector store cannot count)."""
        return self._rows.count() if self._rows is not None else -1

    def rows(self, ids: Sequence[str]) -> list[StoredRow]:
        """The stored rows of ``ids`` in that order; unknown ids are left out."""
        return self._chroma().rows(ids)

    def scan(self, where: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = 1000,
             payloads: bool = True) -> list[StoredRow]:
        """One page of rows across all scopes in storage order; ``where`` is a Chroma filter."""
        return self._chroma().scan(where, offset, limit, payloads)

    def nearest(self, vector: Sequence[float], n: int, where: Mapping[str, Any] | None = None) -> list[ScoredRow]:
        """The ``n`` rows nearest ``vector`` (matching the Chroma filter ``where``), scored as mem0 does."""
        return self._chroma().nearest(vector, n, where)

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """(id, mem0 score) of the ``n`` rows nearest ``vector``, all scopes, without their payloads (cheap)."""
        rows = self._chroma()
        if hasattr(rows, "nearest_ids"):
            return rows.nearest_ids(vector, n)
        return [(row.id, row.score) for row in rows.nearest(vector, n, None)]  # a reader without the cheap query

    def ids_by_text_hash(self, texts: Sequence[str], scope: Mapping[str, str]) -> dict[str, str]:
        """``{text: id}`` of memories in ``scope`` whose text is one of ``texts`` (one query, by mem0's hash)."""
        by_hash = {text_hash(text): text for text in texts}
        return {by_hash[digest]: memory_id
                for digest, memory_id in self._chroma().ids_by_hash(by_hash, scope).items()}

    def _chroma(self) -> ChromaRows:
        if self._rows is None:
            raise StoreError("this vector store cannot be read directly; export, counts and hybrid search "
                             "need Chroma")
        return self._rows

    def close(self) -> None:
        """Close mem0's history database (Chroma needs no closing)."""
        close = getattr(self._memory, "close", None)
        if callable(close):
            close()


def _dict(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(metadata) if metadata is not None else None

