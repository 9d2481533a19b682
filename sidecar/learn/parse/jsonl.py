"""Line framing shared by the transcript parsers.

Transcripts grow while they are read, so a chunk may end in the middle of a
line: only complete lines (ending in a newline) are consumed, and the partial
last line is left for the next chunk. Every line carries its 1-based line
number and the byte offset of its start in the file, which give candidates a
stable position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

# Turns one decoded JSONL record (with its line number and byte offset) into a
# candidate, or None when the record says nothing worth keeping.
RecordHandler = Callable[[dict[str, Any], int, int], "Candidate | list[Candidate] | None"]


@dataclass(frozen=True)
class RawLine:
    """One complete line of a chunk, without its line ending."""

    line: int
    offset: int
    data: bytes


@dataclass(frozen=True)
class JsonLine:
    """One complete, non-blank line of a JSONL chunk; ``value`` is None when it is corrupt."""

    line: int
    offset: int
    value: dict[str, Any] | None


def complete_lines(chunk: bytes, *, start_offset: int, start_line: int) -> tuple[Iterator[RawLine], int]:
    """The complete lines of ``chunk`` and the number of bytes they span.

    ``consumed`` runs up to and including the last newline; a trailing ``\\r``
    is dropped from each line. Blank lines are included.
    """
    consumed = chunk.rfind(b"\n") + 1
    return _iter_lines(chunk, consumed, start_offset, start_line), consumed


def _iter_lines(chunk: bytes, end_of_lines: int, start_offset: int, start_line: int) -> Iterator[RawLine]:
    position = 0
    line_no = start_line
    while position < end_of_lines:
        end = chunk.index(b"\n", position)
        yield RawLine(line_no, start_offset + position, chunk[position:end].rstrip(b"\r"))
        position = end + 1
        line_no += 1


def decode_object(raw: bytes) -> dict[str, Any] | None:
    """``raw`` decoded as a JSON object; None if it is not UTF-8, not JSON, or not an object."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def split_json_lines(chunk: bytes, *, start_offset: int, start_line: int) -> tuple[list[JsonLine], int]:
    """Split ``chunk`` into complete lines and decode each as a JSON object.

    Returns the non-blank lines and the number of bytes consumed (a partial
    last line is left for later). Lines that are not UTF-8, not JSON, or not an
    object (e.g. two records spliced together by an interrupted writer) come
    back with ``value=None``.
    """
    lines, consumed = complete_lines(chunk, start_offset=start_offset, start_line=start_line)
    decoded = [JsonLine(raw.line, raw.offset, decode_object(raw.data)) for raw in lines if raw.data.strip()]
    return decoded, consumed


def parse_json_lines(chunk: bytes, *, start_offset: int, start_line: int, handle: RecordHandler) -> ParseResult:
    """Run ``handle`` over each record of a JSONL chunk and collect what it finds.

    Corrupt lines are skipped and counted in ``corrupt``; every decoded record
    counts in ``records``, whether or not ``handle`` makes a candidate of it.
    """
    lines, consumed = split_json_lines(chunk, start_offset=start_offset, start_line=start_line)
    result = ParseResult(consumed=consumed)
    for item in lines:
        if item.value is None:
            result.corrupt += 1
            continue
        result.records += 1
        add_found(result, handle(item.value, item.line, item.offset))
    return result


def add_found(result: ParseResult, found: Candidate | list[Candidate] | None) -> None:
    """Append what a record handler returned (one candidate, several, or none) to ``result``."""
    if isinstance(found, list):
        result.candidates.extend(found)
    elif found is not None:
        result.candidates.append(found)


class JsonLinesParser:
    """Base of the parsers whose transcript holds one JSON record per line: each subclass says
    what a record means (``_candidate``) and names its ``agent``."""

    agent: str

    def parse(self, chunk: bytes, *, source: str, start_offset: int, start_line: int,
              state: ParserState) -> ParseResult:
        """Parse the complete lines of ``chunk``; see :class:`~sidecar.learn.parse.Parser`."""
        return parse_json_lines(chunk, start_offset=start_offset, start_line=start_line,
                                handle=partial(self._candidate, source=source, state=state))

    def _candidate(self, record: dict[str, Any], line: int, offset: int, *, source: str,
                   state: ParserState) -> Candidate | list[Candidate] | None:
        """The candidate(s) one record holds: a message, or observations from a tool result."""
        raise NotImplementedError
