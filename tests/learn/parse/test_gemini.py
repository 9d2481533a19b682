import json
from pathlib import Path

from transcript_helpers import jsonl, parse_all
from sidecar.learn.parse.records import ParserState


def msg(mid: str, kind: str, content: object, **extra: object) -> dict:
    return {"id": mid, "timestamp": "2026-04-29T21:39:33Z", "type": kind, "content": content, **extra}


def test_jsonl_journal_last_copy_of_an_id_wins() -> None:
    data = jsonl(
        {"sessionId": "gem-1", "projectHash": "ab", "startTime": "2026-04-29T21:39:22Z", "kind": "main"},
        msg("u1", "user", [{"text": "Use uv, not pip, in this project."}]),
        {"$set": {"lastUpdated": "2026-04-29T21:39:33Z"}},
        msg("g1", "gemini", "", toolCalls=[{"name": "run_shell_command", "args": {}}], thoughts=[{"description": "x"}]),
        msg("g2", "gemini", "Understood, switching"),
        msg("g2", "gemini", "Understood, switching to uv."),
        msg("i1", "info", "Request cancelled."),
    )
    state = ParserState()
    result = parse_all("gemini", data, source="/g/chats/session-1.jsonl", state=state)
    assert [(c.role, c.text, c.message_id) for c in result.candidates] == [
        ("user", "Use uv, not pip, in this project.", "u1"),
        ("assistant", "Understood, switching to uv.", "g2"),
    ]
    assert result.candidates[0].session_id == "gem-1"
    again = jsonl(msg("g2", "gemini", "Understood, switching to uv."), msg("g2", "gemini", "Understood, switching to uv!"))
    later = parse_all("gemini", again, source="/g/chats/session-1.jsonl", state=state)
    assert [c.text for c in later.candidates] == ["Understood, switching to uv!"]


def test_whole_json_waits_until_valid_and_emits_only_new_messages() -> None:
    doc = {"sessionId": "gem-2", "projectHash": "cd", "messages": [
        msg("u1", "user", "Explain @a.py\n--- Content from referenced files ---\nprint(1)", displayContent="Explain @a.py"),
        msg("m1", "model", None, parts=[{"text": "It prints one."}]),
    ]}
    data = json.dumps(doc, indent=2).encode()
    state = ParserState()
    assert parse_all("gemini", data[:40], source="/g/session-2.json", state=state).consumed == 0
    first = parse_all("gemini", data, source="/g/session-2.json", state=state)
    assert [c.text for c in first.candidates] == ["Explain @a.py", "It prints one."]
    doc["messages"].append(msg("g3", "gemini", "Anything else?"))
    second = parse_all("gemini", json.dumps(doc, indent=2).encode(), source="/g/session-2.json", state=state)
    assert [c.text for c in second.candidates] == ["Anything else?"] and second.consumed > 0


def test_fixture_files(fixtures: Path) -> None:
    path = fixtures / "gemini-cli/kvsankar__agent-history/gemini_with_tool_error.jsonl"
    result = parse_all("gemini", path.read_bytes(), source=str(path))
    assert [c.role for c in result.candidates][:2] == ["user", "assistant"]
    assert result.candidates[0].text == "Edit the config file to change the port to 9000"
    assert all(c.session_id == "rejection-gemini-001" for c in result.candidates)
    drift = fixtures / "gemini-cli/jazzyalex__agent-sessions/schema_drift.json"
    texts = [c.text for c in parse_all("gemini", drift.read_bytes(), source=str(drift)).candidates]
    assert texts == ["Describe this image:", "It looks like..."]
