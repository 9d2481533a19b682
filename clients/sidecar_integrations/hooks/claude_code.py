"""The Claude Code hook: context on SessionStart / UserPromptSubmit, ingest nudge on Stop / SessionEnd.

Claude Code accepts an empty stdout with exit 0 as "nothing to add", so every
failure prints nothing; context arrives as
``{"hookSpecificOutput": {"hookEventName": ..., "additionalContext": ...}}``.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from sidecar_integrations.hooks.common import TOTAL_BUDGET_S, Deadline, debug, handle_event, hook_output, read_event

AGENT_ID = "claude-code"
EVENTS = ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")


def run(event: str, out: TextIO | None = None) -> int:
    """Handle one event read from stdin; always returns exit code 0 (fail open)."""
    out = out or sys.stdout
    deadline = Deadline(TOTAL_BUDGET_S)
    try:
        payload = read_event(deadline=deadline)
        name = event or str(payload.get("hook_event_name", ""))
        output = hook_output(name, handle_event(AGENT_ID, name, payload, deadline))
        if output:
            out.write(json.dumps(output, ensure_ascii=False))
            out.flush()
    except Exception as exc:  # the agent must never see a failing hook because memory is down
        debug(f"{exc.__class__.__name__}: {exc}")
    return 0
