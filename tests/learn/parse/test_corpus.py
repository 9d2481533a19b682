"""Every sample transcript parses with sensible counts (shared corpus, else the copied fixtures)."""

from pathlib import Path

import pytest

from transcript_helpers import FIXTURES, parse_all
from sidecar.learn.candidates import select
from sidecar.learn.parse import detect_agent

_SHARED = [Path(__file__).resolve().parents[4] / "shared/data/transcripts", Path("/work/shared/data/transcripts")]
CORPUS = next((p for p in _SHARED if p.is_dir()), FIXTURES)

# (file, agent, records, user candidates, assistant candidates, selected); the kvsankar "real_sessions"
# hold only redaction placeholders and aider's samples shell commands, code and y/n answers: none selected
# since candidates keep prose only. Observations (facts from tool output) are not counted here.
EXPECTED = [
    ("aider/AFI-Protocol__afi-core/.aider.chat.history.md", "aider", 99, 29, 42, 65),
    ("aider/AFI-Protocol__afi-core/.aider.input.history", "aider", 179, 59, 0, 26),
    ("aider/Aquaticat__Monochromatic/.aider.chat.history.md", "aider", 88, 23, 43, 66),
    ("claude-code/codemie-ai__codemie-code/-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl", "claude-code", 25, 3, 4, 7),
    ("claude-code/codemie-ai__codemie-code/-tmp-private/agent-36541525.jsonl", "claude-code", 2, 0, 0, 0),
    ("claude-code/codemie-ai__codemie-code/-tmp-private/agent-50243ee8.jsonl", "claude-code", 2, 0, 0, 0),
    ("claude-code/codemie-ai__codemie-code/incremental-subagents/turn-2.jsonl", "claude-code", 50, 1, 5, 6),
    ("claude-code/jazzyalex__agent-sessions/large.jsonl", "claude-code", 10, 4, 5, 2),
    ("claude-code/jazzyalex__agent-sessions/schema_drift.jsonl", "claude-code", 10, 2, 1, 3),
    ("claude-code/jazzyalex__agent-sessions/small.jsonl", "claude-code", 89, 5, 2, 7),
    ("claude-code/jazzyalex__agent-sessions/subagent/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f/subagents/agent-a0ad4f44468bdf20d.jsonl", "claude-code", 4, 0, 0, 0),
    ("claude-code/jazzyalex__agent-sessions/subagent/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f.jsonl", "claude-code", 3, 1, 1, 2),
    ("claude-code/kvsankar__agent-history/claude_forked_session.jsonl", "claude-code", 14, 4, 7, 11),
    ("claude-code/kvsankar__agent-history/claude_with_rejection.jsonl", "claude-code", 12, 2, 6, 8),
    ("claude-code/kvsankar__agent-history/compaction_session_with_compaction.jsonl", "claude-code", 14, 3, 6, 9),
    ("claude-code/kvsankar__agent-history/real_sessions/session-01.jsonl", "claude-code", 5, 1, 1, 0),
    ("claude-code/simonw__claude-code-transcripts/sample_session.json", "claude-code", 33, 5, 8, 13),
    ("claude-code/simonw__claude-code-transcripts/sample_session.jsonl", "claude-code", 8, 2, 2, 4),
    ("codex/codemie-ai__codemie-code/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl", "codex", 386, 2, 13, 15),
    ("codex/codemie-ai__codemie-code/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl", "codex", 99, 3, 3, 6),
    ("codex/codemie-ai__codemie-code/turn-2.jsonl", "codex", 25, 2, 2, 4),
    ("codex/codemie-ai__codemie-code/turn-spawn-skill.jsonl", "codex", 12, 1, 0, 1),
    ("codex/jazzyalex__agent-sessions/codex_050_legacy.jsonl", "codex", 5, 0, 0, 0),
    ("codex/jazzyalex__agent-sessions/codex_051_usage.jsonl", "codex", 3, 0, 0, 0),
    ("codex/jazzyalex__agent-sessions/codex_052_raw.jsonl", "codex", 6, 0, 0, 0),
    ("codex/jazzyalex__agent-sessions/codex_053_rate_limit.jsonl", "codex", 5, 0, 0, 0),
    ("codex/jazzyalex__agent-sessions/large.jsonl", "codex", 20, 6, 7, 2),
    ("codex/jazzyalex__agent-sessions/schema_drift.jsonl", "codex", 5, 1, 1, 1),
    ("codex/jazzyalex__agent-sessions/small.jsonl", "codex", 118, 3, 3, 6),
    ("codex/kvsankar__agent-history/codex_with_escalation.jsonl", "codex", 21, 5, 4, 9),
    ("codex/kvsankar__agent-history/compaction_session_with_compaction.jsonl", "codex", 20, 4, 6, 10),
    ("codex/kvsankar__agent-history/real_sessions/session-01.jsonl", "codex", 11, 1, 1, 0),
    ("codex/simonw__claude-code-transcripts/sample_codex_session.jsonl", "codex", 3, 1, 1, 2),
    ("gemini-cli/codemie-ai__codemie-code/logs.json", "gemini", 3, 3, 0, 2),
    ("gemini-cli/codemie-ai__codemie-code/session-2025-12-01T21-45-5b959dae.json", "gemini", 14, 3, 3, 5),
    ("gemini-cli/codemie-ai__codemie-code/session-2026-01-16T11-01-file-ops-37b7abef.json", "gemini", 14, 5, 5, 10),
    ("gemini-cli/jazzyalex__agent-sessions/jsonl_v040.jsonl", "gemini", 5, 1, 1, 2),
    ("gemini-cli/jazzyalex__agent-sessions/large.json", "gemini", 7, 2, 2, 2),
    ("gemini-cli/jazzyalex__agent-sessions/schema_drift.json", "gemini", 2, 1, 1, 2),
    ("gemini-cli/jazzyalex__agent-sessions/small.json", "gemini", 2, 1, 1, 0),
    ("gemini-cli/kvsankar__agent-history/gemini_with_tool_error.jsonl", "gemini", 10, 4, 5, 9),
    ("gemini-cli/kvsankar__agent-history/real_sessions/session-01.json", "gemini", 2, 1, 1, 0),
]

_NOISE = ("<environment_context>", "AGENTS.md instructions", "tool_use_id", "<command-name>",
          "<permissions instructions>", "<<<<<<< SEARCH")


def test_every_sample_file_is_listed() -> None:
    listed = {name for name, *_ in EXPECTED}
    present = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()
               and not p.name.startswith("LICENSE") and p.name != "SOURCES.md" and not p.name.endswith(".meta.json")}
    assert present <= listed and present


@pytest.mark.parametrize(("name", "agent", "records", "users", "assistants", "selected"), EXPECTED,
                         ids=[e[0].split("/", 1)[0] + ":" + Path(e[0]).name[:40] for e in EXPECTED])
def test_sample_parses(name: str, agent: str, records: int, users: int, assistants: int, selected: int) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("sample not in the copied fixtures (too large)")
    assert detect_agent(path) == agent
    data = path.read_bytes()
    result = parse_all(agent, data, source=str(path))
    roles = [c.role for c in result.candidates]
    assistant_turns = roles.count("assistant") + roles.count("assistant-verified")
    assert (result.records, roles.count("user"), assistant_turns) == (records, users, assistants)
    assert result.corrupt == 0
    assert len(select([c for c in result.candidates if c.role != "observation"])) == selected
    assert all(c.text.strip() and not any(n in c.text for n in _NOISE) for c in result.candidates)
    assert len({c.key() for c in result.candidates}) == len(result.candidates)
    if agent != "aider":  # aider keeps an unterminated last reply for later
        assert result.consumed == len(data)
