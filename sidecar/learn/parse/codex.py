"""Codex CLI rollouts: ``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``.

Codex logs most turns twice (an ``event_msg`` for the UI and a ``response_item``
for the model input); the copy a few lines later is suppressed. Harness
injections (AGENTS.md, ``<environment_context>``, ``<user_instructions>``,
permission blocks, developer messages) never become candidates.
"""

from __future__ import annotations

import re
from typing import Any

import json

from sidecar.learn.parse import tool_turns
from sidecar.learn.parse.fields import as_str, seen_recently, session_from_filename, text_digest, text_of
from sidecar.learn.parse.jsonl import JsonLinesParser
from sidecar.learn.parse.records import Candidate, ParserState

_TEXT_KINDS = ("input_text", "output_text", "text", "Text")
_INJECTED_BLOCK = re.compile(
    r"<(environment_context|user_instructions|permissions instructions|INSTRUCTIONS|turn_aborted|"
    r"user_shell_command|collaboration_mode|skill|apps_instructions)>.*?(?:</\1>|\Z)",
    re.DOTALL,
)
_INJECTED_PREFIXES = ("# AGENTS.md instructions", "AGENTS.md instructions", "<permissions")
_REQUEST_HEADING = "## My request for Codex:"


def clean_codex_user_text(text: str) -> str:
    """The user's own words in a Codex user turn, or '' for a harness injection."""
    stripped = text.strip()
    if any(stripped.startswith(prefix) for prefix in _INJECTED_PREFIXES):
        return ""
    if _REQUEST_HEADING in stripped:
        # Desktop/IDE clients prepend mentioned-file listings before this heading.
        stripped = stripped.split(_REQUEST_HEADING, 1)[1]
    return _INJECTED_BLOCK.sub("", stripped).strip()


def _message(record: dict[str, Any]) -> tuple[str, str, str | None, str] | None:
    """(role, raw text, message id, channel) of a conversational record, else None."""
    kind = record.get("type")
    payload = record.get("payload")
    if kind is None and "role" in record:  # oldest rollouts: bare {role, message|content}
        content = record.get("content", record.get("message"))
        return str(record["role"]), text_of(content, kinds=_TEXT_KINDS), as_str(record.get("id")), "legacy"
    if not isinstance(payload, dict):
        return None
    inner = payload.get("type")
    if kind == "response_item" and inner == "message":
        return (str(payload.get("role")), text_of(payload.get("content"), kinds=_TEXT_KINDS),
                as_str(payload.get("id")), "item")
    if kind == "event_msg" and inner in ("user_message", "agent_message"):
        role = "user" if inner == "user_message" else "assistant"
        message = payload.get("message")
        return role, message if isinstance(message, str) else "", None, "event"
    if kind == "event_msg" and inner == "item_completed":
        item = payload.get("item")
        if isinstance(item, dict) and item.get("type") in ("UserMessage", "AgentMessage"):
            role = "user" if item["type"] == "UserMessage" else "assistant"
            return role, text_of(item.get("content"), kinds=_TEXT_KINDS), as_str(item.get("id")), "completed"
    return None


class CodexParser(JsonLinesParser):
    """Parser for Codex CLI rollout files (all known versions)."""

    agent = "codex"

    def _candidate(
        self, record: dict[str, Any], line: int, offset: int, *, source: str, state: ParserState
    ) -> Candidate | None:
        self._learn_context(record, state)
        found = _message(record)
        if found is None:
            return self._tool_traffic(record, line, offset, source=source, state=state)
        role, raw_text, message_id, channel = found
        if role == "user":
            text = clean_codex_user_text(raw_text)
        elif role == "assistant":
            text = raw_text.strip()
            role = tool_turns.assistant_role(state)
        else:
            return None  # developer / system prompts
        if not text or seen_recently(state, text_digest(found[0], text), line, channel):
            return None
        if role == "user":
            tool_turns.user_spoke(state)
        return Candidate(
            agent=self.agent,
            session_id=state.session_id or session_from_filename(source),
            role=role,
            text=text,
            source=source,
            line=line,
            offset=offset,
            timestamp=as_str(record.get("timestamp")) or as_str(record.get("created_at")),
            cwd=state.cwd,
            message_id=message_id,
        )

    def _tool_traffic(self, record: dict[str, Any], line: int, offset: int, *, source: str,
                      state: ParserState) -> list[Candidate] | None:
        """Remember function calls; turn their outputs into observations."""
        payload = record.get("payload")
        if record.get("type") != "response_item" or not isinstance(payload, dict):
            return None
        kind = payload.get("type")
        if kind in ("function_call", "local_shell_call"):
            arguments = payload.get("arguments")
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except ValueError:
                    arguments = {}
            if kind == "local_shell_call" and isinstance(payload.get("action"), dict):
                arguments = payload["action"]
            tool_turns.remember_call(state, payload.get("call_id"), payload.get("name") or kind, arguments)
            return None
        if kind != "function_call_output":
            return None
        output = payload.get("output")
        event = tool_turns.result_event(state, payload.get("call_id"), output)
        return tool_turns.observations(
            state, event, agent=self.agent, session_id=state.session_id or session_from_filename(source),
            source=source, line=line, offset=offset, cwd=state.cwd, timestamp=as_str(record.get("timestamp")))

    @staticmethod
    def _learn_context(record: dict[str, Any], state: ParserState) -> None:
        payload = record.get("payload")
        if not isinstance(payload, dict):
            return
        if record.get("type") == "session_meta":
            # Later session_meta records describe forks/subagents; the first names this file.
            if not state.session_id:
                state.session_id = as_str(payload.get("id")) or as_str(payload.get("session_id"))
            if not state.cwd:
                state.cwd = as_str(payload.get("cwd"))
        elif record.get("type") == "turn_context":
            state.cwd = as_str(payload.get("cwd")) or state.cwd
