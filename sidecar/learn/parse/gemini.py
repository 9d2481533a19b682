"""Gemini CLI sessions: ``~/.gemini/tmp/<project>/chats/session-*.json[l]``.

The ``.jsonl`` journal has a header line (``sessionId``), message lines and
``$set``-style metadata lines; a message may be appended again under the same
id as it grows (the last copy wins downstream, keyed by ``message_id``). The
older ``.json`` file is rewritten whole; it is parsed only once it is valid
JSON, and messages already emitted with the same text are not emitted again.
"""

from __future__ import annotations

import json
from typing import Any

from sidecar.learn.parse import tool_turns
from sidecar.learn.parse.fields import as_str, document_records, session_from_filename, text_digest, text_of
from sidecar.learn.parse.jsonl import JsonLinesParser
from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

_ROLES = {"user": "user", "gemini": "assistant", "model": "assistant"}
# Gemini CLI appends the bodies of @-referenced files to the prompt after this line.
_REFERENCED_FILES = "--- Content from referenced files ---"
_MAX_REMEMBERED_IDS = 2000


def _message(record: dict[str, Any]) -> tuple[str, str] | None:
    """(role, text) of a user or model message record, else None."""
    role = _ROLES.get(str(record.get("type") or record.get("role") or ""))
    if role is None:
        return None  # info / error / warning / $set / header lines
    text = ""
    if role == "user":
        text = text_of(record.get("displayContent"))
    for field in ("content", "message", "parts"):  # logs.json uses "message", old files "parts"
        text = text or text_of(record.get(field))
    if role == "user":
        text = text.split(_REFERENCED_FILES, 1)[0]
    return role, text.strip()


def _timestamp(record: dict[str, Any]) -> str | None:
    value = record.get("timestamp", record.get("ts"))
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else as_str(value)


class GeminiParser(JsonLinesParser):
    """Parser for Gemini CLI chat sessions (``.jsonl`` journal and whole-file ``.json``)."""

    agent = "gemini"

    def parse(
        self, chunk: bytes, *, source: str, start_offset: int, start_line: int, state: ParserState
    ) -> ParseResult:
        """Parse complete lines, or the whole ``.json`` document once valid; see ``Parser``."""
        if source.endswith(".json"):
            return self._parse_document(chunk, source=source, start_offset=start_offset,
                                        start_line=start_line, state=state)
        result = super().parse(chunk, source=source, start_offset=start_offset, start_line=start_line, state=state)
        found = result.candidates
        # Within one chunk only the last copy of a re-appended message matters.
        last_index = {c.message_id: i for i, c in enumerate(found) if c.message_id is not None}
        result.candidates = [
            c for i, c in enumerate(found)
            if (c.message_id is None or last_index[c.message_id] == i) and self._is_new(c, state)
        ]
        return result

    def _parse_document(
        self, chunk: bytes, *, source: str, start_offset: int, start_line: int, state: ParserState
    ) -> ParseResult:
        try:
            document = json.loads(chunk.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return ParseResult()  # half-written rewrite: wait for a valid document
        result = ParseResult(consumed=len(chunk))
        if isinstance(document, dict):
            state.session_id = state.session_id or as_str(document.get("sessionId"))
            messages = document.get("messages", document.get("history"))
        else:
            messages = document
        for record, line, offset in document_records(chunk, messages, result, start_offset=start_offset,
                                                     start_line=start_line, needle=lambda r: r.get("id")):
            found = self._candidate(record, source=source, line=line, offset=offset, state=state)
            for candidate in found if isinstance(found, list) else [found] if found else []:
                if self._is_new(candidate, state):
                    result.candidates.append(candidate)
        return result

    def _candidate(
        self, record: dict[str, Any], line: int, offset: int, *, source: str, state: ParserState
    ) -> Candidate | list[Candidate] | None:
        session = as_str(record.get("sessionId"))
        if session and not state.session_id:
            state.session_id = session
        found = _message(record)
        if found is None:
            return None
        role, text = found
        if role == "user" and text:
            tool_turns.user_spoke(state)
        elif role == "assistant":
            role = tool_turns.assistant_role(state)  # before this message's own calls: its text precedes them
        observed = self._observations(record, line, offset, source=source, state=state)
        if not text:
            return observed or None
        message_id = record.get("id", record.get("messageId"))
        message = Candidate(
            agent=self.agent,
            session_id=session or state.session_id or session_from_filename(source),
            role=role,
            text=text,
            source=source,
            line=line,
            offset=offset,
            timestamp=_timestamp(record),
            cwd=state.cwd,
            message_id=None if message_id is None else str(message_id),
        )
        return [message, *observed] if observed else message

    def _observations(self, record: dict[str, Any], line: int, offset: int, *, source: str,
                      state: ParserState) -> list[Candidate]:
        """Observations from the tool calls a model message carries with their results."""
        calls = record.get("toolCalls")
        found: list[Candidate] = []
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, dict) or "result" not in call:
                continue
            event = tool_turns.result_event(state, None, call.get("result"), name=str(call.get("name") or ""),
                                            arguments=call.get("args"), failed=call.get("status") == "error")
            found += tool_turns.observations(
                state, event, agent=self.agent, session_id=state.session_id or session_from_filename(source),
                source=source, line=line, offset=offset + 1 + len(found), cwd=state.cwd,
                timestamp=_timestamp(record))
        return found

    @staticmethod
    def _is_new(candidate: Candidate, state: ParserState) -> bool:
        """False if this message id was already emitted with the same text; records it."""
        if candidate.message_id is None:
            return True
        emitted: dict[str, str] = state.extra.setdefault("emitted", {})
        digest = text_digest(candidate.role, candidate.text)
        if emitted.get(candidate.message_id) == digest:
            return False
        emitted.pop(candidate.message_id, None)
        emitted[candidate.message_id] = digest
        while len(emitted) > _MAX_REMEMBERED_IDS:
            emitted.pop(next(iter(emitted)))
        return True

