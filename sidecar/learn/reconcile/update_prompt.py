"""Prompt and reply handling for :class:`~sidecar.learn.reconcile.reconcilers.OllamaReconciler`.

The prompt is mem0 2.2.1's own ``get_update_memory_messages`` (which embeds
``DEFAULT_UPDATE_MEMORY_PROMPT``), so the LLM path matches what mem0 itself
would ask. The reply is validated here and mapped back to one decision.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sidecar.learn.judge.verdict import JudgeReplyInvalid
from sidecar.learn.reconcile.decision import Decision
from sidecar.store.mem0_build import update_memory_prompt

EVENTS = ("ADD", "UPDATE", "DELETE", "NONE")
UPDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "memory": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "text": {"type": "string"},
                    "event": {"type": "string", "enum": list(EVENTS)},
                    "old_memory": {"type": "string"},
                },
                "required": ["id", "text", "event"],
            },
        }
    },
    "required": ["memory"],
}
# mem0 emits no-change rows for untouched memories; the fact's own row is what we want
_PRIORITY = {"UPDATE": 0, "DELETE": 1, "ADD": 2, "NONE": 3}


def build_update_prompt(old_memory: list[dict[str, str]], fact: str) -> str:
    """mem0's update prompt for one new fact against ``old_memory`` ([{id, text}])."""
    return update_memory_prompt(old_memory, [fact])


def parse_update_reply(content: str, fact: str, target_ids: Sequence[str], target_texts: Sequence[str]) -> Decision:
    """Validate the model's JSON and reduce it to one decision for ``fact``.

    Unparsable JSON raises :class:`JudgeReplyInvalid` (retried, a few times); a well-formed reply
    that points at an unknown memory degrades to ADD, the choice that loses nothing.
    """
    try:
        parsed = json.loads(content)
    except ValueError as exc:
        raise JudgeReplyInvalid(f"update reply is not JSON: {content[:80]!r}") from exc
    rows = parsed.get("memory") if isinstance(parsed, dict) else None
    if not isinstance(rows, list):
        raise JudgeReplyInvalid("update reply lacks a 'memory' list")
    valid = [
        r for r in rows
        if isinstance(r, dict) and r.get("event") in EVENTS and isinstance(r.get("text", ""), str)
    ]
    if not valid:
        return Decision("NONE", fact, None, None, "model proposed no valid change")
    row = min(valid, key=lambda r: _PRIORITY[r["event"]])
    event = row["event"]
    if event == "ADD":
        return Decision("ADD", fact, None, row.get("text") or fact, "model: new information")
    if event == "NONE":
        return Decision("NONE", fact, None, None, "model: already known or irrelevant")
    index = str(row.get("id", ""))
    if not index.isdigit() or int(index) >= len(target_ids):
        return Decision("ADD", fact, None, fact, f"model named unknown memory id {index!r}; kept as new")
    target = target_ids[int(index)]
    if event == "DELETE":
        return Decision("DELETE", fact, target, None, f"model: retracts '{target_texts[int(index)]}'")
    new_text = row.get("text") or fact
    return Decision("UPDATE", fact, target, new_text, f"model: replaces '{target_texts[int(index)]}'")
