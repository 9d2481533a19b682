from pathlib import Path

from transcript_helpers import jsonl, parse_all, parse_in_pieces


def item(role: str, text: str, kind: str = "input_text") -> dict:
    return {"timestamp": "2026-05-01T10:00:00Z", "type": "response_item",
            "payload": {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}}


def event(kind: str, text: str) -> dict:
    return {"timestamp": "2026-05-01T10:00:01Z", "type": "event_msg", "payload": {"type": kind, "message": text}}


META = {"type": "session_meta", "payload": {"id": "rollout-sess-1", "cwd": "/home/bo/api"}}


def test_injections_are_dropped_and_double_logging_collapsed() -> None:
    data = jsonl(
        META,
        item("developer", "<permissions instructions>sandbox</permissions instructions>"),
        item("user", "# AGENTS.md instructions for /home/bo/api\n\n<INSTRUCTIONS>use black</INSTRUCTIONS>"),
        item("user", "<environment_context>\n  <cwd>/home/bo/api</cwd>\n</environment_context>"),
        item("user", "<user_instructions>be terse</user_instructions>"),
        item("user", "Our staging DB is Postgres 16."),
        event("user_message", "Our staging DB is Postgres 16.\n"),
        {"type": "response_item", "payload": {"type": "reasoning", "summary": [{"type": "summary_text", "text": "hmm"}]}},
        {"type": "response_item", "payload": {"type": "function_call", "name": "shell", "arguments": "{}"}},
        event("agent_message", "Got it, Postgres 16 on staging."),
        item("assistant", "Got it, Postgres 16 on staging.", "output_text"),
        {"type": "compacted", "payload": {"message": "summary of earlier turns"}},
        {"type": "turn_context", "payload": {"cwd": "/home/bo/api/sub"}},
        event("agent_message", "Got it, Postgres 16 on staging."),  # said again, later: a new message
    )
    result = parse_all("codex", data, source="/c/rollout-x.jsonl")
    assert [(c.role, c.text, c.line) for c in result.candidates] == [
        ("user", "Our staging DB is Postgres 16.", 6),
        ("assistant", "Got it, Postgres 16 on staging.", 10),
        ("assistant", "Got it, Postgres 16 on staging.", 14),
    ]
    assert {c.session_id for c in result.candidates} == {"rollout-sess-1"}
    assert result.candidates[0].cwd == "/home/bo/api" and result.candidates[2].cwd == "/home/bo/api/sub"


def test_mentioned_files_preamble_is_cut_and_legacy_shape_read() -> None:
    data = jsonl(
        event("user_message", "# Files mentioned by the user:\n\n## a.txt: /x/a.txt\n\n## My request for Codex:\nsummarise a.txt"),
        {"created_at": "2025-09-10T12:00:00Z", "role": "user", "message": "Translate this to Spanish"},
    )
    result = parse_all("codex", data, source="/c/rollout-2025.jsonl")
    assert [c.text for c in result.candidates] == ["summarise a.txt", "Translate this to Spanish"]
    assert result.candidates[1].timestamp == "2025-09-10T12:00:00Z"
    assert result.candidates[0].session_id == "rollout-2025"  # no session_meta: from the file name


def test_dedup_survives_a_chunk_boundary(fixtures: Path) -> None:
    path = fixtures / "codex/codemie-ai__codemie-code/turn-2.jsonl"
    data = path.read_bytes()
    whole = parse_all("codex", data, source=str(path)).candidates
    cut = data.index(b'"agent_message"')  # between the event and its response_item copy
    assert parse_in_pieces("codex", data, str(path), [cut, cut + 50]) == whole
    assert [c.text for c in whole] == [
        "Hello, Codex! Please explain what you do.",
        "I am Codex, an AI coding assistant by OpenAI.",
        "What languages can you work with?",
        "I can work with many programming languages including Python, JavaScript, TypeScript, Go, and Rust.",
    ]
