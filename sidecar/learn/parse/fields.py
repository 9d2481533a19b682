"""Field helpers the transcript parsers share: message text, ids, duplicate suppression, record positions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any

from sidecar.learn.parse.records import ParseResult, ParserState


def text_of(content: Any, *, kinds: tuple[str, ...] = ("text",)) -> str:
    """Join the text of a message ``content`` (a string or a list of blocks).

    Only blocks whose ``type`` is in ``kinds`` count (blocks without a type but
    with a string ``text`` count too); tool calls, tool results, thinking and
    images are left out. Blocks are joined with a blank line.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            kind = block.get("type")
            if kind is None or kind in kinds:
                parts.append(block["text"])
    return "\n\n".join(part for part in parts if part.strip())


def session_from_filename(source: str) -> str:
    """Session id derived from a transcript's file name (its stem)."""
    name = PurePath(source).name
    for suffix in (".jsonl", ".json", ".md"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def as_str(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def text_digest(role: str, text: str) -> str:
    """Short digest of a message, for duplicate suppression kept in parser state."""
    normalised = " ".join(text.split())
    return hashlib.sha256(f"{role}\x00{normalised}".encode("utf-8")).hexdigest()[:16]


def seen_recently(
    state: ParserState, digest: str, line: int, channel: str, *, window: int = 50, keep: int = 64
) -> bool:
    """True if ``digest`` was just logged through another ``channel``; records it otherwise.

    Agents that log one message twice (a UI event and a model-input item) put
    the copies a few lines apart, through different channels. A matched copy is
    forgotten, so a message genuinely repeated later (another "ok") still counts.
    """
    recent: list[list[Any]] = state.extra.setdefault("recent", [])
    for index, (seen_digest, seen_line, seen_channel) in enumerate(recent):
        if seen_digest == digest and seen_channel != channel and 0 <= line - seen_line <= window:
            del recent[index]
            return True
    recent.append([digest, line, channel])
    del recent[:-keep]
    return False


def locate_in_document(
    document: bytes, needle: Any, start_offset: int, start_line: int, *, after: int = 0
) -> tuple[int, int, int]:
    """Offset and line of the line where ``needle`` (a message id) appears at or after ``after``.

    Whole-file formats have no line per message; the id's position gives each
    message a stable offset. Returns (offset, line, position in ``document``);
    the start of the document and ``after`` when the needle is missing.
    """
    if not isinstance(needle, str) or not needle:
        return start_offset, start_line, after
    position = document.find(json.dumps(needle).encode("utf-8"), after)
    if position < 0:
        return start_offset, start_line, after
    line_start = document.rfind(b"\n", 0, position) + 1
    return start_offset + line_start, start_line + document.count(b"\n", 0, line_start), position + 1


def document_records(
    document: bytes, records: Any, result: ParseResult, *, needle: Callable[[dict[str, Any]], Any],
    start_offset: int, start_line: int,
) -> Iterator[tuple[dict[str, Any], int, int]]:
    """``(record, line, offset)`` for each object in ``records`` of a whole-file document.

    Records appear in order, so each is looked up after the previous one; non-objects are
    counted as corrupt and every object as a record of ``result``.
    """
    cursor = 0
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict):
            result.corrupt += 1
            continue
        result.records += 1
        offset, line, cursor = locate_in_document(document, needle(record), start_offset, start_line, after=cursor)
        yield record, line, offset
