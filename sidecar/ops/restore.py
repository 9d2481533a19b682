"""``restore``: undo a memory's latest UPDATE or DELETE from mem0's history.

An UPDATE is undone by writing the old text back (mem0 records that as one more
UPDATE); a DELETE by adding the deleted text again. mem0's history keeps neither
the scope nor the metadata of a deleted memory, so the caller names the scope and
the new memory (a new id: mem0 makes ids) carries ``restored_from`` = the old id.
Either way the restore is itself a line of history, so it can be undone too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.learn.secret_guard import refuse
from sidecar.rpc.args import OpError
from sidecar.store.interface import Store
from sidecar_shared.protocol import Code

RESTORED_FROM = "restored_from"


def restore(store: Store, memory_id: str, scope: Mapping[str, str] | None) -> dict[str, Any]:
    """Undo the latest UPDATE or DELETE of ``memory_id`` (a full id); see the module docstring."""
    changes = [row for row in store.history(memory_id) or []
               if str(row.get("event", "")).upper() in ("UPDATE", "DELETE")]
    if not changes:
        raise OpError(Code.BAD_REQUEST, f"memory {memory_id} was never updated or deleted: nothing to restore")
    last = changes[-1]
    event = str(last.get("event")).upper()
    old_text = last.get("old_memory")
    if not isinstance(old_text, str) or not old_text.strip():
        raise OpError(Code.BAD_REQUEST, f"the history of {memory_id} does not keep the text before its {event}")
    refuse(old_text)  # like update: a text holding a secret is not written back (scrubbed histories have none)
    current = store.get(memory_id)
    if current is not None:
        store.update(memory_id, text=old_text)
        return {"id": memory_id, "memory": old_text, "event": "UPDATE", "undid": event,
                "replaced": current.get("memory")}
    if not scope:
        raise OpError(Code.MISSING_SCOPE, f"memory {memory_id} was deleted and history does not keep its scope: "
                                          "name the user_id, agent_id or run_id to restore it into")
    rows = store.add(old_text, infer=False, metadata={RESTORED_FROM: memory_id}, **dict(scope)).get("results", [])
    new_id = next((str(r.get("id")) for r in rows if r.get("id")), None)
    return {"id": new_id, "memory": old_text, "event": "ADD" if any(r.get("event") == "ADD" for r in rows) else "NONE",
            "undid": event, RESTORED_FROM: memory_id}
