"""Export and import: every memory out with its history, and back in (the ``export``/``import`` ops).

Export pages over the raw collection (all scopes unless filtered), so a store
can be moved whole. Import re-adds each text through the store, which embeds
it with *this* store's embedder (so moving between embedders works) and skips
exact duplicates within a scope. Ids cannot be kept, so the original id and
timestamps go into the new memory's metadata (Chroma metadata must be flat).
A record whose text or metadata holds a secret is refused (reported with the code
``secret_detected`` and its index; the others go in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.learn.secret_guard import SecretDetected, refuse, refuse_metadata
from sidecar.store.chroma_rows import CREATED_KEY, MEM0_KEYS, TEXT_KEY, UPDATED_KEY, scope_where
from sidecar.store.memory_store import MemoryStore
from sidecar_shared.protocol import SCOPE_KEYS

IMPORTED_FROM = "imported_from"
IMPORTED_CREATED_AT = "imported_created_at"
IMPORTED_UPDATED_AT = "imported_updated_at"
MAX_EXPORT_PAGE = 1000
MAX_IMPORT_BATCH = 1000
MAX_TEXT = 100_000


def chroma_where(filters: Mapping[str, str]) -> dict[str, Any] | None:
    """A Chroma ``where`` for the given scope ids (``$and`` when there are several)."""
    return scope_where({key: filters[key] for key in SCOPE_KEYS if filters.get(key)})


def export_record(store: MemoryStore, memory_id: str, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """One memory as exported: text, scope, user metadata, timestamps and history."""
    payload = payload or {}
    return {
        "id": memory_id,
        "memory": payload.get(TEXT_KEY),
        **{key: payload.get(key) for key in SCOPE_KEYS},
        "metadata": {k: v for k, v in payload.items() if k not in MEM0_KEYS},
        "created_at": payload.get(CREATED_KEY),
        "updated_at": payload.get(UPDATED_KEY),
        "history": store.history(memory_id),
    }


def export_page(store: MemoryStore, filters: Mapping[str, str], offset: int, limit: int) -> dict[str, Any]:
    """``{memories, next_offset, total}``; ``next_offset`` is None on the last page."""
    where = chroma_where(filters)
    total = store.count() if where is None else len(store.scan(where=where, limit=None, include=())["ids"])
    rows = store.scan(where=where, offset=offset, limit=limit, include=("metadatas",))
    ids = rows.get("ids") or []
    metadatas = rows.get("metadatas") or [None] * len(ids)
    memories = [export_record(store, str(i), m) for i, m in zip(ids, metadatas)]
    following = offset + len(ids)
    return {"memories": memories, "next_offset": following if len(ids) == limit and following < total else None,
            "total": total}


def _import_fields(record: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Validate one exported record; raise ``ValueError`` naming what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"a record must be a JSON object, got {type(record).__name__}")
    text = record.get("memory")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'memory' must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"'memory' is longer than {MAX_TEXT} characters")
    scope: dict[str, str] = {}
    for key in SCOPE_KEYS:
        value = record.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 256):
            raise ValueError(f"{key!r} must be a string of at most 256 characters")
        if value:
            scope[key] = value
    if not scope:
        raise ValueError("the record has no user_id, agent_id or run_id")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must be an object")
    for key, value in metadata.items():
        if key in MEM0_KEYS:
            raise ValueError(f"metadata key {key!r} is reserved by the store")
        if not (value is None or isinstance(value, (str, int, float, bool))
                or (isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value))):
            raise ValueError(f"metadata.{key} must be a string, number, boolean or a list of them")
    metadata = {k: v for k, v in metadata.items() if v is not None}
    for key, target in (("id", IMPORTED_FROM), ("created_at", IMPORTED_CREATED_AT),
                        ("updated_at", IMPORTED_UPDATED_AT)):
        if isinstance(record.get(key), str) and record[key]:
            metadata[target] = record[key]
    return text, scope, metadata


IMPORT_CHUNK = 200  # records written with one vector insert and one history transaction


def import_records(store: MemoryStore, records: list[Any]) -> dict[str, Any]:
    """Re-add the records, in batches per scope; a bad record is reported by index and does not stop the rest."""
    added = skipped = 0
    errors: list[dict[str, Any]] = []
    by_scope: dict[tuple[tuple[str, str], ...], list[tuple[int, str, dict[str, Any]]]] = {}
    for index, record in enumerate(records):
        try:
            text, scope, metadata = _import_fields(record)
            refuse(text, "memory")
            refuse_metadata(metadata)
        except SecretDetected as exc:
            errors.append({"index": index, "code": exc.code, "message": str(exc)})
            continue
        except ValueError as exc:
            errors.append({"index": index, "message": str(exc)})
            continue
        by_scope.setdefault(tuple(sorted(scope.items())), []).append((index, text, metadata))
    for scope_items, rows in by_scope.items():
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start:start + IMPORT_CHUNK]
            try:
                events = _add_chunk(store, dict(scope_items), chunk)
            except Exception:  # noqa: BLE001 - one at a time, so the failing record is named
                events = [_add_one(store, dict(scope_items), row, errors) for row in chunk]
            added += sum(event == "ADD" for event in events)
            skipped += sum(event not in ("ADD", None) for event in events)
    return {"added": added, "skipped": skipped, "errors": sorted(errors, key=lambda e: e["index"])}


def _add_chunk(store: MemoryStore, scope: dict[str, str], chunk: list[tuple[int, str, dict[str, Any]]]) -> list[str]:
    """One batched add; the event of each record ("ADD", or "NONE" for a text the scope already holds)."""
    messages = [{"role": "user", "content": text, "metadata": metadata} for _, text, metadata in chunk]
    results = store.add(messages, infer=False, **scope).get("results", [])
    added = {row.get("memory") for row in results if row.get("event") == "ADD"}
    events = []
    for _, text, _ in chunk:
        events.append("ADD" if text in added else "NONE")
        added.discard(text)  # a second copy of one text in the file is a duplicate
    return events


def _add_one(store: MemoryStore, scope: dict[str, str], row: tuple[int, str, dict[str, Any]],
             errors: list[dict[str, Any]]) -> str | None:
    index, text, metadata = row
    try:
        results = store.add(text, infer=False, metadata=metadata or None, **scope).get("results", [])
    except Exception as exc:  # noqa: BLE001 - per-record failures are reported, the rest goes on
        errors.append({"index": index, "message": str(exc) or exc.__class__.__name__})
        return None
    return "ADD" if any(r.get("event") == "ADD" for r in results) else "NONE"
