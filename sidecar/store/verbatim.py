"""``add(infer=False)``: each message stored as it is, exact duplicates within the scope skipped.

mem0 dedups only on its ``infer=True`` path; here a text the scope already holds
(or a second copy inside the same batch) is answered with event ``NONE`` and the
stored memory's id, and the rest is written in one batch.
"""

from __future__ import annotations

from typing import Any

from sidecar.store.mem0_adapter import Mem0Adapter


def add_verbatim(mem0: Mem0Adapter, messages: Any, scope: dict[str, str],
                 metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Store ``messages`` (text, a message, or a list) verbatim in ``scope``: ``{"results": [...]}``."""
    items = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
    items = [items] if isinstance(items, dict) else items
    items = [i for i in items if i.get("role") != "system" and isinstance(i.get("content"), str)]
    per_text = {i["content"]: dict(i["metadata"]) for i in items if isinstance(i.get("metadata"), dict)}
    items = [{k: v for k, v in i.items() if k != "metadata"} for i in items]
    stored: dict[str, str | None] = dict(mem0.ids_by_text_hash([i["content"] for i in items], scope))
    fresh: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    for item in items:
        if item["content"] in stored:
            duplicates.append({"id": stored[item["content"]], "memory": item["content"], "event": "NONE"})
        else:
            stored[item["content"]] = None  # a second copy inside this batch is a duplicate too
            fresh.append(item)
    results = mem0.add_batch(fresh, scope, metadata, per_text or None)
    by_text = {r["memory"]: r["id"] for r in results}
    for row in duplicates:
        row["id"] = row["id"] or by_text.get(row["memory"])
    return {"results": results + duplicates}
