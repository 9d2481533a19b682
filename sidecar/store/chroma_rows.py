"""mem0's rows in Chroma, read directly: the payload keys and result shapes of mem0 2.2.1, defined once.

Part of the mem0 adapter (:mod:`sidecar.store.mem0_adapter`); nothing else reads
the collection. What we assume about mem0, each pinned by
``tests/store/test_mem0_adapter.py``:

* a memory is one Chroma row whose metadata is mem0's *payload*: the text under
  ``data``, its md5 under ``hash``, ISO ``created_at`` / ``updated_at``, the scope
  ids under their own names, mem0's bookkeeping keys (``text_lemmatized``,
  ``role``, ``actor_id``, ...) and the caller's metadata flat beside them;
* mem0 shapes a row for ``get``/``get_all`` as ``{id, memory, hash, metadata,
  created_at, updated_at}`` plus the promoted keys present in the payload, with
  every other payload key under ``metadata`` (None when there is none);
* a search hit adds ``score = 1 / (1 + distance)`` (Chroma's squared L2 distance),
  and search skips rows without text and rows past their ``expiration_date``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sidecar.store.chroma_gate import GatedCollection
from sidecar.store.chroma_index import tune_index
from sidecar_shared.protocol import SCOPE_KEYS

TEXT_KEY = "data"
HASH_KEY = "hash"
CREATED_KEY = "created_at"
UPDATED_KEY = "updated_at"
EXPIRATION_KEY = "expiration_date"
# Payload keys mem0 copies to the top level of a result row, when present.
PROMOTED_KEYS = ("user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", EXPIRATION_KEY)
# Payload keys that never reach a row's ``metadata``.
CORE_KEYS = frozenset({TEXT_KEY, HASH_KEY, CREATED_KEY, UPDATED_KEY, "id", "text_lemmatized", "attributed_to"})
# Every key mem0 keeps for itself; the rest of a payload is the caller's metadata.
MEM0_KEYS = CORE_KEYS | frozenset(PROMOTED_KEYS)


def text_hash(text: str) -> str:
    """The ``hash`` mem0 stores with a memory's text."""
    return hashlib.md5(text.encode()).hexdigest()


def score_of(distance: float) -> float:
    """mem0's search score for a Chroma distance."""
    return 1.0 / (1.0 + distance)


def scope_where(scope: Mapping[str, str], extra: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """A Chroma ``where``: every scope id equal (exact match), and each ``extra`` condition (None when both are empty).

    ``scope`` holds only scope keys with string values, and ``extra`` names no
    scope key, so a condition can never stand in for the scope; anything else
    raises ``ValueError``.
    """
    for key, value in scope.items():
        if key not in SCOPE_KEYS or not isinstance(value, str):
            raise ValueError(f"a scope is scope ids with string values, not {key}={value!r}")
    clashing = sorted(set(extra or {}) & set(SCOPE_KEYS))
    if clashing:
        raise ValueError(f"extra conditions may not name scope keys: {', '.join(clashing)}")
    clauses = [{key: {"$eq": value}} for key, value in scope.items()]
    clauses += [{key: value} for key, value in (extra or {}).items()]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class StoredRow:
    """One memory as stored: its id and mem0's payload."""

    id: str
    payload: Mapping[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get(TEXT_KEY) or "")

    @property
    def scope(self) -> dict[str, str]:
        """The scope ids the memory carries (only the set ones)."""
        return {key: self.payload[key] for key in SCOPE_KEYS if self.payload.get(key)}

    @property
    def created_at(self) -> str | None:
        return self.payload.get(CREATED_KEY)

    @property
    def written_at(self) -> str:
        """When the memory was last written (ISO text, sortable; "" when unknown)."""
        return str(self.payload.get(UPDATED_KEY) or self.payload.get(CREATED_KEY) or "")

    @property
    def metadata(self) -> dict[str, Any]:
        """The caller's metadata: every payload key mem0 does not keep for itself."""
        return {k: v for k, v in self.payload.items() if k not in MEM0_KEYS}

    @property
    def searchable(self) -> bool:
        """Whether mem0's search would return the row (it has text and has not expired)."""
        return bool(self.payload.get(TEXT_KEY)) and not _expired(self.payload)

    def matches(self, filters: Mapping[str, Any]) -> bool:
        """Whether every ``filters`` item equals the payload's value."""
        return all(self.payload.get(key) == value for key, value in filters.items())

    def record(self) -> dict[str, Any]:
        """The row in the shape of mem0's ``get_all`` results."""
        return self._shaped(None)

    def _shaped(self, score: float | None) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id, "memory": self.payload.get(TEXT_KEY, ""),
                               "hash": self.payload.get(HASH_KEY), "metadata": self.metadata or None}
        if score is not None:
            row["score"] = score
        row["created_at"] = self.payload.get(CREATED_KEY)
        row["updated_at"] = self.payload.get(UPDATED_KEY)
        for key in PROMOTED_KEYS:
            if key in self.payload:
                row[key] = self.payload[key]
        return row


@dataclass(frozen=True)
class ScoredRow(StoredRow):
    """A nearest-neighbour hit: a stored row and its Chroma distance to the query."""

    distance: float = 0.0

    @property
    def score(self) -> float:
        return score_of(self.distance)

    def result(self) -> dict[str, Any]:
        """The hit in the shape of mem0's ``search`` results."""
        return self._shaped(self.score)


def expired(row: Mapping[str, Any]) -> bool:
    """Whether a payload, or a result row (which carries the key at its top level), is past its expiration date."""
    return _expired(row)


def _expired(payload: Mapping[str, Any]) -> bool:
    value = payload.get(EXPIRATION_KEY)
    if not value:
        return False
    try:
        return date.fromisoformat(str(value)) < datetime.now(timezone.utc).date()
    except ValueError:
        return False


class ChromaRows:
    """Direct reads of the Chroma collection mem0 writes: by id, by vector, page by page.

    mem0's own API needs a scope, has no offset and re-shapes every row; these
    reads serve what it cannot (export, counts, the dense channel, dedup).
    """

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self._copies: Any = None

    def keep_copies(self, copies: Any) -> None:
        """Answer :meth:`rows` from ``copies`` (a :class:`~sidecar.store.row_copies.RowCopies`) when they hold them."""
        self._copies = copies

    def gate(self, checkpoint: Callable[[], object]) -> None:
        """Pass ``checkpoint`` before each call into Chroma (write work waits for reads: see chroma_gate)."""
        if not isinstance(self._collection, GatedCollection):
            self._collection = GatedCollection(self._collection, checkpoint)

    def count(self) -> int:
        """Rows in the collection, all scopes."""
        return int(self._collection.count())

    def rows(self, ids: Sequence[str]) -> list[StoredRow]:
        """The stored rows of ``ids``, in that order; unknown ids are left out."""
        if self._copies is not None and ids:
            return self._copies.rows_through(ids, self._read)
        return self._read(ids)

    def _read(self, ids: Sequence[str]) -> list[StoredRow]:
        if not ids:
            return []
        found = self._collection.get(ids=list(ids), include=["metadatas"])
        payloads = dict(zip(found["ids"], found["metadatas"]))
        return [StoredRow(i, payloads[i] or {}) for i in ids if i in payloads]

    def scan(self, where: Mapping[str, Any] | None, offset: int, limit: int | None,
             payloads: bool = True) -> list[StoredRow]:
        """One page of rows in storage order (``limit=None`` reads to the end).

        Without ``payloads`` only the ids are read (each row's payload is empty).
        """
        found = self._collection.get(where=dict(where) if where else None, offset=offset, limit=limit,
                                     include=["metadatas"] if payloads else [])
        metadatas = found.get("metadatas") if payloads else None
        return [StoredRow(row_id, (metadatas[n] if metadatas else None) or {})
                for n, row_id in enumerate(found["ids"])]

    def nearest(self, vector: Sequence[float], n: int, where: Mapping[str, Any] | None) -> list[ScoredRow]:
        """The ``n`` rows nearest ``vector`` (among those matching ``where``), nearest first.

        With trusted copies, Chroma is asked for ids and distances only and the payloads come from the
        copies: reading ~120 rows' metadata from Chroma cost ~3.5 ms of a search's CPU in a store of two
        users (10k + 2k LoCoMo turns), the copies ~1 ms. A row deleted between the two reads is left out.
        """
        from_copies = self._copies is not None and self._copies.trusted
        found = self._collection.query(query_embeddings=[_floats(vector)], n_results=n,
                                       where=dict(where) if where else None,
                                       include=["distances"] if from_copies else ["metadatas", "distances"])
        ids, distances = found["ids"][0], found["distances"][0]
        if not from_copies:
            return [ScoredRow(row_id, meta or {}, float(distance))
                    for row_id, meta, distance in zip(ids, found["metadatas"][0], distances)]
        payloads = {row.id: row.payload for row in self.rows(ids)}
        return [ScoredRow(row_id, payloads[row_id], float(distance))
                for row_id, distance in zip(ids, distances) if row_id in payloads]

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """(id, mem0 score) of the ``n`` rows nearest ``vector``, nearest first, without metadata.

        Reading the metadata is most of a query's cost (~7 of 9 ms for 100 rows):
        callers fetch it with :meth:`rows` for the few ids they keep.
        """
        found = self._collection.query(query_embeddings=[_floats(vector)], n_results=n, include=["distances"])
        return [(row_id, score_of(float(distance))) for row_id, distance in zip(found["ids"][0], found["distances"][0])]

    def ids_by_hash(self, hashes: Iterable[str], scope: Mapping[str, str]) -> dict[str, str]:
        """``{hash: id}`` of the rows of ``scope`` whose text hash is one of ``hashes`` (one query)."""
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        where = scope_where(scope, {HASH_KEY: {"$in": wanted}})
        found = self._collection.get(where=where, include=["metadatas"])
        return {meta[HASH_KEY]: row_id for row_id, meta in zip(found["ids"], found["metadatas"])
                if meta and meta.get(HASH_KEY)}


def _floats(vector: Any) -> list[float]:
    """A query vector as Chroma's public API takes it (a numpy row becomes Python floats)."""
    return vector.tolist() if hasattr(vector, "tolist") else list(vector)


def chroma_reads(vector_store: Any, rows: Any, pause: Callable[[], object] | None, copies: Any = None) -> Any:
    """The row reader for mem0's ``vector_store`` (``rows`` if given, else one over its Chroma collection;
    None without one), after making its collection fit for the daemon: the index persisted often
    (:mod:`~sidecar.store.chroma_index`), with ``pause`` every call into Chroma from write work
    passing that checkpoint first (:mod:`~sidecar.store.chroma_gate`), and with ``copies``
    (:mod:`~sidecar.store.row_copies`) every write forgetting the copies of its rows and the reader
    answering from them."""
    tune_index(getattr(vector_store, "collection", None))
    if copies is not None:
        watch_writes(vector_store, copies)
    if pause is not None:
        gate_collection(vector_store, pause)
    collection = getattr(vector_store, "collection", None)
    reader = rows if rows is not None else ChromaRows(collection) if collection is not None else None
    if pause is not None and isinstance(reader, ChromaRows):
        reader.gate(pause)
    if copies is not None and isinstance(reader, ChromaRows):
        reader.keep_copies(copies)
    return reader


def gate_collection(owner: Any, checkpoint: Callable[[], object]) -> GatedCollection | None:
    """Put ``owner.collection`` (mem0's Chroma vector store) behind ``checkpoint``; None when it has none."""
    collection = getattr(owner, "collection", None)
    if collection is None or isinstance(collection, GatedCollection):
        return collection
    owner.collection = gated = GatedCollection(collection, checkpoint)
    return gated


def watch_writes(owner: Any, copies: Any) -> None:
    """Put ``owner.collection`` behind :class:`~sidecar.store.row_copies.WatchedCollection`: each write forgets
    the ``copies`` of the rows it names."""
    from sidecar.store.row_copies import WatchedCollection

    collection = getattr(owner, "collection", None)
    if collection is not None and not isinstance(collection, WatchedCollection):
        owner.collection = WatchedCollection(collection, copies)
