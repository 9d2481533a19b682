"""Generic transcripts: JSONL, or a Markdown prompt log.

A generic JSONL transcript has one JSON object per line:
``{"role": "user"|"assistant", "content": str | [{"type": "text", "text": str}],
"session_id"?: str, "timestamp"?: str}``. A ``.md`` file is read as a log of
the user's prompts (:mod:`sidecar.learn.parse.prompt_log`).
"""

from __future__ import annotations

from typing import Any

from sidecar.learn.parse.fields import as_str, session_from_filename, text_of
from sidecar.learn.parse.jsonl import JsonLinesParser
from sidecar.learn.parse.prompt_log import parse_prompt_log
from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

_MARKDOWN_SUFFIXES = (".md", ".markdown")

_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant", "model": "assistant"}


class GenericParser(JsonLinesParser):
    """Parser for generic ``{role, content}`` JSONL transcripts."""

    agent = "generic"

    def parse(self, chunk: bytes, *, source: str, start_offset: int, start_line: int,
              state: ParserState) -> ParseResult:
        """JSONL records, or the finished sections of a Markdown prompt log."""
        if source.lower().endswith(_MARKDOWN_SUFFIXES):
            return parse_prompt_log(chunk, agent=self.agent, source=source, start_offset=start_offset,
                                    start_line=start_line, state=state)
        return super().parse(chunk, source=source, start_offset=start_offset, start_line=start_line, state=state)

    def _candidate(
        self, record: dict[str, Any], line: int, offset: int, *, source: str, state: ParserState
    ) -> Candidate | None:
        role = _ROLES.get(str(record.get("role", "")).lower())
        text = text_of(record.get("content")).strip()
        session = as_str(record.get("session_id")) or state.session_id
        if session:
            state.session_id = session
        if role is None or not text:
            return None
        return Candidate(
            agent=self.agent,
            session_id=session or session_from_filename(source),
            role=role,
            text=text,
            source=source,
            line=line,
            offset=offset,
            timestamp=as_str(record.get("timestamp")),
            cwd=as_str(record.get("cwd")) or state.cwd,
            message_id=as_str(record.get("id")),
        )
