"""Transcript parsers, one per agent format, and format detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from sidecar.learn.parse.jsonl import decode_object
from sidecar.learn.parse.records import ParseResult, ParserState

AGENTS = ("claude-code", "codex", "gemini", "aider", "generic")
_SNIFF_BYTES = 64 * 1024
_SNIFF_RECORDS = 20


class Parser(Protocol):
    """Turns chunks of a transcript file into candidates.

    ``chunk`` holds the file's bytes from ``start_offset`` (at line
    ``start_line``, 1-based). A parser consumes only complete units (whole
    lines; a whole valid document for ``.json`` files), skips and counts
    corrupt lines, ignores record types it does not know, and keeps what it
    learns between chunks (session id, cwd, ...) in ``state``.
    """

    agent: str

    def parse(
        self, chunk: bytes, *, source: str, start_offset: int, start_line: int, state: ParserState
    ) -> ParseResult:
        """Parse ``chunk``; see the class docstring."""
        ...


def parser_for(agent: str) -> Parser:
    """A parser for ``agent`` (one of :data:`AGENTS`); ValueError for others."""
    from sidecar.learn.parse.aider import AiderParser
    from sidecar.learn.parse.claude_code import ClaudeCodeParser
    from sidecar.learn.parse.codex import CodexParser
    from sidecar.learn.parse.gemini import GeminiParser
    from sidecar.learn.parse.generic import GenericParser

    factories: dict[str, type[Any]] = {
        "claude-code": ClaudeCodeParser,
        "codex": CodexParser,
        "gemini": GeminiParser,
        "aider": AiderParser,
        "generic": GenericParser,
    }
    try:
        return factories[agent]()  # type: ignore[no-any-return]
    except KeyError:
        raise ValueError(f"unknown agent {agent!r}; expected one of {', '.join(AGENTS)}") from None


def detect_agent(path: Path) -> str | None:
    """Which agent wrote ``path``: by where it lives, else by sniffing its first records."""
    parts = path.parts
    name = path.name
    if name in (".aider.chat.history.md", ".aider.input.history"):
        return "aider"
    if name.endswith(".jsonl") and "projects" in parts and ".claude" in parts:
        return "claude-code"
    if name.startswith("rollout-") and name.endswith(".jsonl") and "sessions" in parts:
        return "codex"
    if name.startswith("session-") and "chats" in parts and ".gemini" in parts:
        return "gemini"
    if name.endswith(".jsonl"):
        return _sniff_records(_head_records(path))
    if name.endswith(".json"):
        return _sniff_document(path)
    return None


def _head_records(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return []
    # Not split_json_lines: a short file whose only line lacks its newline must still be sniffed.
    decoded = (decode_object(raw) for raw in head.split(b"\n")[:_SNIFF_RECORDS])
    return [record for record in decoded if record is not None]


def _sniff_records(records: list[dict[str, Any]]) -> str | None:
    for record in records:
        kind = record.get("type")
        if kind in ("session_meta", "response_item", "event_msg", "turn_context", "world_state",
                    "compacted", "function_call", "function_result"):
            return "codex"
        if kind in ("user", "assistant", "summary", "file-history-snapshot", "queue-operation") and (
            "sessionId" in record or "uuid" in record or "leafUuid" in record
        ):
            return "claude-code"
        if kind in ("gemini", "info") or "projectHash" in record or "$set" in record:
            return "gemini"
    for record in records:
        if record.get("role") in ("user", "assistant") and "content" in record:
            return "generic"
    return None


def _sniff_document(path: Path) -> str | None:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(document, list):  # Gemini's logs.json prompt log
        entries = [e for e in document[:_SNIFF_RECORDS] if isinstance(e, dict)]
        return "gemini" if entries and all("sessionId" in e and "messageId" in e for e in entries) else None
    if isinstance(document, dict):
        if isinstance(document.get("loglines"), list):
            return "claude-code"
        if "projectHash" in document or isinstance(document.get("history"), list):
            return "gemini"
        messages = document.get("messages")
        if isinstance(messages, list):
            return _sniff_records([m for m in messages if isinstance(m, dict)][:_SNIFF_RECORDS])
    return None
