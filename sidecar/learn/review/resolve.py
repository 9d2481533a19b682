"""Accept or reject review items: an accepted item is applied through the store, with provenance.

An accepted item applies the decision the gate made when it proposed it:

* ADD stores the text (optionally the user's edited text) in the item's scope;
* UPDATE replaces the target memory's text; when that memory is gone meanwhile
  (deleted by hand, or by another accepted item) the text is added as a new
  memory instead, and the reply says so (``note``): the user accepted the fact,
  not the target;
* DELETE deletes the target; when it is gone already there is nothing to do
  (``event`` NONE). A DELETE cannot be edited.

mem0 keeps the history of each write as usual, and a provenance row records the
gate's verdict and ``accepted in review`` (or ``edited in review``) beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.learn.apply.provenance import ProvenanceLog, ProvenanceRow
from sidecar.learn.review.inbox import ACCEPTED, PENDING, REJECTED, ReviewConflict, ReviewInbox
from sidecar.store.interface import MemoryNotFound

TARGET_GONE = "the memory it would update is gone; added as a new memory"


class Reviewer:
    """The review ops' side of the inbox: list, count, accept, reject."""

    def __init__(self, inbox: ReviewInbox, store: Any, provenance: ProvenanceLog) -> None:
        self.inbox = inbox
        self._store = store
        self._provenance = provenance

    def list(self, scope: Mapping[str, str], *, limit: int, offset: int = 0) -> dict[str, Any]:
        """One page of ``scope``'s pending items, oldest first."""
        items, total = self.inbox.items(scope, limit=limit, offset=offset)
        after = offset + len(items)
        return {"items": items, "total": total, "offset": offset, "next_offset": after if after < total else None}

    def count(self, scope: Mapping[str, str] | None = None) -> int:
        return self.inbox.count(scope)

    def reject(self, ref: str, *, scope: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Drop a pending item; the same fact is not proposed again."""
        item = self._pending(ref, scope)
        if not self.inbox.settle(item["id"], REJECTED):
            raise ReviewConflict(f"review item {item['id']} was resolved meanwhile")
        return {"id": item["id"], "status": REJECTED}

    def accept(self, ref: str, *, text: str | None = None, scope: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Apply a pending item (with ``text`` instead of the proposed text, when given)."""
        item = self._pending(ref, scope)
        if text is not None:
            text = text.strip()
            if not text:
                raise ReviewConflict("the edited text is empty")
            if item["op"] == "DELETE":
                raise ReviewConflict(f"review item {item['id']} proposes deleting a memory; "
                                     "accept or reject it without new text")
        if not self.inbox.claim(item["id"]):
            raise ReviewConflict(f"review item {item['id']} is being resolved or was resolved meanwhile")
        try:
            result = self._apply(item, text)
        except BaseException:
            self.inbox.release(item["id"])
            raise
        self.inbox.settle(item["id"], ACCEPTED, memory_id=result.get("memory_id"), event=result["event"])
        return {"id": item["id"], "status": ACCEPTED, **result}

    def _pending(self, ref: str, scope: Mapping[str, str] | None) -> dict[str, Any]:
        item = self.inbox.find(ref, scope)
        if item["status"] != PENDING:
            raise ReviewConflict(f"review item {item['id']} is {item['status']} already")
        return item

    def _apply(self, item: dict[str, Any], edited: str | None) -> dict[str, Any]:
        scope = {key: item[key] for key in ("user_id", "agent_id", "run_id") if item.get(key)}
        text = edited if edited is not None else item["text"]
        metadata = {**item["metadata"], "review": "edited" if edited is not None else "accepted"}
        with self._store.scope_lock(scope):
            result = self._write(item["op"], item.get("target_id"), text, scope, metadata)
        if result["event"] in ("ADD", "UPDATE", "DELETE") and result.get("memory_id"):
            verdict, origin = item["verdict"], item["provenance"]
            how = "edited in review" if edited is not None else "accepted in review"
            self._provenance.record(ProvenanceRow(
                memory_id=str(result["memory_id"]), op=result["event"], source=origin.get("source"),
                line=origin.get("line"), agent=origin.get("agent"), session=origin.get("session_id"),
                kind=verdict.get("kind"), reasons=dict(verdict.get("reasons") or {}), score=verdict.get("score"),
                backend=verdict.get("backend"), decision=f"{item.get('reason') or item['op']}; {how}",
                job_key=origin.get("job_key")))
        return result

    def _write(self, op: str, target: str | None, text: str, scope: dict[str, str],
               metadata: dict[str, Any]) -> dict[str, Any]:
        if op in ("UPDATE", "DELETE"):
            previous = self._store.get(target) if target else None
            try:
                if previous is not None and op == "DELETE":
                    self._store.delete(target)
                    return {"event": "DELETE", "memory_id": target, "memory": previous.get("memory")}
                if previous is not None:
                    self._store.update(target, text=text)
                    return {"event": "UPDATE", "memory_id": target, "memory": text,
                            "previous_memory": previous.get("memory")}
            except MemoryNotFound:
                pass  # deleted between the read and the write: as if it was gone already
            if op == "DELETE":
                return {"event": "NONE", "memory_id": None, "memory": None,
                        "note": "the memory it would delete is gone already"}
            added = self._add(text, scope, metadata)
            return {**added, "note": TARGET_GONE} if added["event"] == "ADD" else added
        return self._add(text, scope, metadata)

    def _add(self, text: str, scope: dict[str, str], metadata: dict[str, Any]) -> dict[str, Any]:
        rows = self._store.add(text, metadata=metadata, infer=False, **scope).get("results", [])
        row = rows[0] if rows else {"id": None, "event": "NONE"}
        result = {"event": row.get("event", "ADD"), "memory_id": row.get("id"), "memory": row.get("memory", text)}
        if result["event"] == "NONE":
            result["note"] = "the same text is a memory of this scope already"
        return result
