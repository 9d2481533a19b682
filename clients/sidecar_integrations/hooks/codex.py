"""The Codex CLI hook: context on SessionStart / UserPromptSubmit, ingest nudge on Stop.

Codex validates hook stdout against a strict schema (no unknown keys) and
treats non-JSON as an error, so this hook prints valid JSON on every path:
``{}`` when there is nothing to add or anything failed.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from sidecar_integrations.hooks.common import TOTAL_BUDGET_S, Deadline, debug, handle_event, hook_output, read_event

AGENT_ID = "codex"
EVENTS = ("SessionStart", "UserPromptSubmit", "Stop")


def run(event: str, out: TextIO | None = None) -> int:
    """Handle one event read from stdin; prints JSON and returns 0 whatever happens."""
    out = out or sys.stdout
    output: dict[str, Any] = {}
    deadline = Deadline(TOTAL_BUDGET_S)
    try:
        payload = read_event(deadline=deadline)
        name = event or str(payload.get("hook_event_name", ""))
        output = hook_output(name, handle_event(AGENT_ID, name, payload, deadline))
    except Exception as exc:  # fail open, but still with a schema-valid answer
        debug(f"{exc.__class__.__name__}: {exc}")
        output = {}
    out.write(json.dumps(output, ensure_ascii=False))
    out.flush()
    return 0
