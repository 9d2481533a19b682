"""Tool traffic inside a turn: observations from tool output, and which assistant text is verified.

An assistant message that follows tool output in the same turn reports what the
agent just read: it gets the ``assistant-verified`` role, so the gate may keep
what it states as a project or environment fact. Assistant text with no tool
output since the user spoke stays ``assistant`` (a guess, never stored). The
parsers keep the pending calls and this flag in :class:`ParserState` so both
survive chunk boundaries.
"""

from __future__ import annotations

from typing import Any

from sidecar.learn.observe import ToolEvent, observe, project_name

__all__ = ["ToolEvent", "assistant_role", "observations", "remember_call", "result_event", "user_spoke"]
from sidecar.learn.observe.events import OBSERVATION_ROLE, VERIFIED_ROLE, tool_event
from sidecar.learn.parse.records import Candidate, ParserState

_MAX_PENDING_CALLS = 200
_MAX_OBSERVED = 500


def remember_call(state: ParserState, call_id: Any, name: Any, arguments: Any) -> None:
    """Keep a tool call (name, command, path) until its result arrives."""
    if not isinstance(call_id, str):
        return
    args = arguments if isinstance(arguments, dict) else {}
    small = {k: v for k, v in args.items() if k in ("command", "cmd", "file_path", "path", "absolute_path")
             and isinstance(v, (str, list))}
    calls: dict[str, Any] = state.extra.setdefault("tool_calls", {})
    calls[call_id] = [name if isinstance(name, str) else "", small]
    while len(calls) > _MAX_PENDING_CALLS:
        calls.pop(next(iter(calls)))


def take_call(state: ParserState, call_id: Any) -> tuple[str, dict[str, Any]]:
    """The remembered (name, arguments) of ``call_id`` (forgotten once taken); ("", {}) if unknown."""
    calls: dict[str, Any] = state.extra.setdefault("tool_calls", {})
    found = calls.pop(call_id, None) if isinstance(call_id, str) else None
    return (found[0], found[1]) if found else ("", {})


def user_spoke(state: ParserState) -> None:
    """A new user turn: assistant text is unverified again until a tool answers."""
    state.extra["tool_output_seen"] = False


def assistant_role(state: ParserState) -> str:
    """``assistant-verified`` when tool output came since the user last spoke, else ``assistant``."""
    return VERIFIED_ROLE if state.extra.get("tool_output_seen") else "assistant"


def observations(state: ParserState, event: ToolEvent, *, agent: str, session_id: str, source: str, line: int,
                 offset: int, cwd: str | None, timestamp: str | None) -> list[Candidate]:
    """Observation candidates for one tool result; each fact once per transcript."""
    state.extra["tool_output_seen"] = True
    seen: list[str] = state.extra.setdefault("observed", [])
    found = []
    for index, item in enumerate(observe(event, project_name(cwd))):
        if item.fact in seen:
            continue
        seen.append(item.fact)
        found.append(Candidate(agent=agent, session_id=session_id, role=OBSERVATION_ROLE, text=item.fact,
                               source=source, line=line, offset=offset + index, timestamp=timestamp, cwd=cwd,
                               message_id=None))
    del seen[:-_MAX_OBSERVED]
    return found


def result_event(state: ParserState, call_id: Any, output: Any, *, failed: bool = False,
                 name: str | None = None, arguments: Any = None) -> ToolEvent:
    """The event for a tool result: the call's name and arguments, remembered or given."""
    remembered_name, remembered_args = take_call(state, call_id)
    return tool_event(name or remembered_name, arguments if arguments is not None else remembered_args, output,
                      failed=failed)
