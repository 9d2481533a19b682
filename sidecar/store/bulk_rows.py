"""Raw row access of :class:`~sidecar.store.memory_store.MemoryStore`: counts, newest, export, migration.

mem0's own API needs a scope and has no offset; these read (and, for ``memctl
migrate``, write) the stored rows across all scopes, through the store's mem0 adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.store.chroma_rows import ChromaRows, StoredRow, expired, scope_where
from sidecar.store.scan import newest_by_scan


class BulkRows:
    """Mixed into the store, which supplies ``_loaded()`` (mem0's adapter), ``_reader()`` and ``hybrid``."""

    _loaded: Any
    _reader: Any
    hybrid: Any

    def count(self) -> int:
        """Number of memories in the collection (all scopes)."""
        return self._reader().count()

    def newest(self, scope: dict[str, str], keep: int) -> tuple[list[dict[str, Any]], int]:
        """The ``keep`` most recently written memories of ``scope`` (mem0's get shape), and the scope's size.

        Served by the keyword index's write order, so its cost does not grow with the
        store; without the index, the scope is scanned page by page.
        """
        if self.hybrid is None:
            return newest_by_scan(self._reader(), scope, keep)
        rows = self._reader().rows(self.hybrid.keyword.newest(scope, keep))
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
        rows = self._loaded().scan(where=where, offset=offset, limit=limit, payloads=payloads)
        page: dict[str, Any] = {"ids": [row.id for row in rows]}
        if payloads:
            page["metadatas"] = [dict(row.payload) for row in rows]
        return page

    def copy_in(self, rows: list[StoredRow], history: dict[str, list[dict[str, Any]]]) -> int:
        """Write rows read from another store, keeping ids, timestamps, metadata and history; rows written.

        Ids this store already holds are left alone. For ``memctl migrate``, with no daemon on this store.
        """
        known = {row.id for row in self._loaded().rows([row.id for row in rows])}
        fresh = [row for row in rows if row.id not in known]
        if not fresh:
            return 0
        self._loaded().insert_rows(fresh, [h for row in fresh for h in history.get(row.id, [])])
        if self.hybrid:
            for row in sorted(fresh, key=lambda r: str(r.created_at or "")):
                self.hybrid.added(row.id, row.text, row.scope, row.metadata, row.created_at)
        return len(fresh)

    def read_rows(self, offset: int, limit: int) -> list[StoredRow]:
        """One page of stored rows (id and mem0's payload) across all scopes, in storage order."""
        return self._loaded().scan(offset=offset, limit=limit)

    def present(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` this store holds."""
        return {row.id for row in self._reader().rows(ids)}


def listable(scope: Mapping[str, str]) -> bool:
    """Whether :func:`listed` answers for ``scope`` exactly as mem0 would (mem0 trims the ids it is given)."""
    return bool(scope) and all(value == value.strip() for value in scope.values())


def listed(rows: ChromaRows, scope: Mapping[str, str], top_k: int) -> list[dict[str, Any]]:
    """mem0's ``get_all`` of a plain scope, read directly: the same window of rows (``max(4 * top_k, 60)``
    in storage order), expired ones left out, at most ``top_k``, each in mem0's shape."""
    page = rows.scan(scope_where(scope), 0, max(top_k * 4, 60))
    return [record for record in (row.record() for row in page) if not expired(record)][:top_k]
