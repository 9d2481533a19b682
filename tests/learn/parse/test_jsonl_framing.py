"""The JSONL loop the line-oriented parsers share (sidecar.learn.parse.jsonl)."""

import pytest

from sidecar.learn.parse.jsonl import complete_lines, parse_json_lines
from sidecar.learn.parse.records import Candidate

from transcript_helpers import parse_all


def echo(record: dict, line: int, offset: int) -> Candidate | None:
    """A handler that turns every record with a text into a candidate."""
    if "text" not in record:
        return None
    return Candidate(agent="t", session_id="s", role="user", text=record["text"], source="/t.jsonl",
                     line=line, offset=offset)


def test_partial_last_line_waits_and_corrupt_lines_are_counted() -> None:
    chunk = b'{"text": "a"}\r\n\n[1, 2]\nnot json\n\xff\xfe\n{"meta": 1}\n{"text": "b"}\n{"text": "unfinis'
    result = parse_json_lines(chunk, start_offset=100, start_line=7, handle=echo)
    assert result.consumed == chunk.rindex(b"\n") + 1
    assert (result.records, result.corrupt) == (3, 3)
    assert [(c.text, c.line, c.offset) for c in result.candidates] == [
        ("a", 7, 100),
        ("b", 13, 100 + chunk.index(b'{"text": "b"}')),
    ]


def test_a_chunk_without_a_newline_consumes_nothing() -> None:
    result = parse_json_lines(b'{"text": "half', start_offset=0, start_line=1, handle=echo)
    assert (result.consumed, result.records, result.corrupt, result.candidates) == (0, 0, 0, [])


def test_complete_lines_keeps_blank_lines_and_positions() -> None:
    lines, consumed = complete_lines(b"one\r\n\ntwo\nthr", start_offset=10, start_line=3)
    assert [(raw.line, raw.offset, raw.data) for raw in lines] == [(3, 10, b"one"), (4, 15, b""), (5, 16, b"two")]
    assert consumed == 10


@pytest.mark.parametrize("agent", ["claude-code", "codex", "gemini", "generic"])
def test_every_jsonl_parser_counts_corrupt_lines_and_leaves_the_partial_line(agent: str) -> None:
    chunk = b'{"spliced": 1}{"records": 2}\n{}\n{"half": '
    result = parse_all(agent, chunk, source="/t/session-x.jsonl")
    assert (result.consumed, result.records, result.corrupt) == (chunk.rindex(b"\n") + 1, 1, 1)
