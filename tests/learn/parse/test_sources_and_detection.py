import json
from pathlib import Path

from transcript_helpers import jsonl, parse_all
from sidecar.learn.candidates import select
from sidecar.learn.parse import detect_agent, parser_for
from sidecar.learn.parse.records import Candidate
from sidecar.learn.watch.sources import Source, default_sources, matches
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END


def _tree(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for folder in (".claude/projects/-p", ".codex/sessions/2026/05/11", ".gemini/tmp/abc/chats"):
        (home / folder).mkdir(parents=True)
    return home


def test_default_sources_only_existing_and_enabled(tmp_path: Path) -> None:
    home = _tree(tmp_path)
    project = tmp_path / "proj"
    project.mkdir()
    sources = default_sources(home=home, env={}, aider_projects=[project, tmp_path / "missing"])
    assert [s.agent for s in sources] == ["claude-code", "codex", "gemini", "aider"]
    moved = tmp_path / "cfg"
    (moved / "projects").mkdir(parents=True)
    sources = default_sources(home=home, env={"CLAUDE_CONFIG_DIR": str(moved)}, enabled={"codex": False})
    assert [(s.agent, s.root) for s in sources] == [("claude-code", moved / "projects"),
                                                    ("gemini", home / ".gemini/tmp")]


def test_matches_by_agent_layout(tmp_path: Path) -> None:
    home = _tree(tmp_path)
    claude, codex, gemini = default_sources(home=home, env={})
    projects = home / ".claude/projects"
    assert matches(claude, projects / "-p/0a1b.jsonl")
    assert matches(claude, projects / "-p/0a1b/subagents/agent-a1.jsonl")
    assert not matches(claude, projects / "-p/memory/notes.jsonl")
    assert not matches(claude, projects / "-p/0a1b/tool-results/x.jsonl")
    assert not matches(claude, home / "elsewhere/0a1b.jsonl")
    assert matches(codex, home / ".codex/sessions/2026/05/11/rollout-2026-05-11T11-26-55-abc.jsonl")
    assert not matches(codex, home / ".codex/sessions/2026/05/rollout-x.jsonl")
    assert matches(gemini, home / ".gemini/tmp/abc/chats/session-2026-01-16T11-01-37b7.json")
    assert not matches(gemini, home / ".gemini/tmp/abc/logs.json")
    generic = Source("generic", tmp_path, ("*.jsonl",))
    assert matches(generic, tmp_path / "a.jsonl") and not matches(generic, tmp_path / "d/a.jsonl")


def test_detect_agent_by_path_and_by_content(tmp_path: Path) -> None:
    assert detect_agent(Path("/h/.claude/projects/-p/s.jsonl")) == "claude-code"
    assert detect_agent(Path("/h/.codex/sessions/2026/01/02/rollout-a.jsonl")) == "codex"
    assert detect_agent(Path("/h/.gemini/tmp/x/chats/session-1.jsonl")) == "gemini"
    assert detect_agent(Path("/p/.aider.chat.history.md")) == "aider"
    samples = {
        "c.jsonl": jsonl({"type": "user", "sessionId": "s", "message": {"content": "hi"}}),
        "x.jsonl": jsonl({"type": "session_meta", "payload": {"id": "r"}}),
        "g.jsonl": jsonl({"sessionId": "s", "projectHash": "h"}),
        "n.jsonl": jsonl({"role": "user", "content": "hello"}),
        "u.jsonl": b"not json\n",
        "e.json": json.dumps({"loglines": []}).encode(),
    }
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
    found = {name: detect_agent(tmp_path / name) for name in samples}
    assert found == {"c.jsonl": "claude-code", "x.jsonl": "codex", "g.jsonl": "gemini",
                     "n.jsonl": "generic", "u.jsonl": None, "e.json": "claude-code"}


def test_generic_parser_reads_string_and_block_content() -> None:
    data = jsonl({"role": "user", "content": "I live in Lisbon.", "session_id": "g1", "timestamp": "t0"},
                 {"role": "assistant", "content": [{"type": "text", "text": "Lisbon, noted."},
                                                   {"type": "tool_use", "name": "x"}]},
                 {"role": "tool", "content": "output"}, b"{broken")
    result = parse_all("generic", data)
    assert [(c.role, c.text, c.session_id) for c in result.candidates] == [
        ("user", "I live in Lisbon.", "g1"), ("assistant", "Lisbon, noted.", "g1")]
    assert (result.records, result.corrupt) == (3, 1)


def test_parser_for_rejects_unknown_agents() -> None:
    assert parser_for("codex").agent == "codex"
    try:
        parser_for("cursor")
    except ValueError as error:
        assert "cursor" in str(error)
    else:
        raise AssertionError("expected ValueError")


def _c(text: str) -> Candidate:
    return Candidate("generic", "s", "user", text, "/f.jsonl", 4, 99, "t", "/cwd", "m")


def test_select_strips_markers_normalises_and_keeps_provenance() -> None:
    kept = select([
        _c("  My   editor is   Helix.\n\n\n\nAlways use it.  "),
        _c("ok"),
        _c("----------------"),
        _c(f"{MANAGED_BEGIN}\n- prefers tabs\n{MANAGED_END}"),
        _c("<agent-memory-context>\n- a\n</agent-memory-context>"),
    ])
    assert len(kept) == 1
    assert kept[0].text == "My editor is Helix.\nAlways use it."
    assert (kept[0].line, kept[0].offset, kept[0].message_id, kept[0].cwd) == (4, 99, "m", "/cwd")
