import hashlib
import json

from sidecar.learn.parse.records import Candidate, ParserState


def _candidate(**changes: object) -> Candidate:
    fields = dict(agent="codex", session_id="s", role="user", text="I use fish shell",
                  source="/a/b.jsonl", line=3, offset=120)
    fields.update(changes)
    return Candidate(**fields)  # type: ignore[arg-type]


def test_key_is_sha256_of_source_offset_and_text_digest() -> None:
    text_digest = hashlib.sha256(b"I use fish shell").hexdigest()
    expected = hashlib.sha256(f"/a/b.jsonl\x00120\x00{text_digest}".encode()).hexdigest()
    assert _candidate().key() == expected


def test_key_ignores_metadata_but_not_position_or_text() -> None:
    base = _candidate().key()
    assert _candidate(timestamp="2025-01-01", message_id="m1", line=9).key() == base
    assert _candidate(offset=121).key() != base
    assert _candidate(text="I use zsh").key() != base
    assert _candidate(source="/a/c.jsonl").key() != base


def test_parser_state_round_trips_through_json_without_aliasing() -> None:
    state = ParserState(session_id="abc", cwd="/proj", extra={"recent": [["d1", 4, "event"]], "n": 1})
    restored = ParserState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    restored.extra["recent"].append(["d2", 5, "item"])
    assert len(state.extra["recent"]) == 1


def test_parser_state_from_empty_or_partial_dict() -> None:
    assert ParserState.from_dict(None) == ParserState()
    assert ParserState.from_dict({"session_id": "x"}).session_id == "x"
    assert ParserState.from_dict({"extra": "garbage"}).extra == {}
