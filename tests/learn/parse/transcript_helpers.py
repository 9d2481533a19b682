"""Helpers shared by the ingest tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from sidecar.learn.parse import parser_for
from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"


def jsonl(*records: Any) -> bytes:
    """Encode records (dicts, or raw str/bytes lines) as JSONL bytes."""
    lines: list[bytes] = []
    for record in records:
        if isinstance(record, bytes):
            lines.append(record)
        elif isinstance(record, str):
            lines.append(record.encode("utf-8"))
        else:
            lines.append(json.dumps(record).encode("utf-8"))
    return b"\n".join(lines) + b"\n"


def parse_all(agent: str, data: bytes, source: str = "/t/session.jsonl",
              state: ParserState | None = None) -> ParseResult:
    """Parse ``data`` in one call from the start of the file."""
    return parser_for(agent).parse(data, source=source, start_offset=0, start_line=1,
                                   state=state or ParserState())


def parse_in_pieces(agent: str, data: bytes, source: str, cuts: list[int]) -> list[Candidate]:
    """Feed ``data`` like a tail reader would, the file growing to each cut, with state persisted."""
    parser = parser_for(agent)
    saved = ParserState().to_dict()
    offset, line = 0, 1
    found: list[Candidate] = []
    for end in [*cuts, len(data)]:
        state = ParserState.from_dict(json.loads(json.dumps(saved)))
        chunk = data[offset:end]
        result = parser.parse(chunk, source=source, start_offset=offset, start_line=line, state=state)
        found += result.candidates
        line += chunk[: result.consumed].count(b"\n")
        offset += result.consumed
        saved = state.to_dict()
    return found
