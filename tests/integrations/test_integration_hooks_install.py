"""Hook installation into Claude Code / Codex settings, and the AGENTS.md managed section (no daemon needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sidecar_shared import markers
from sidecar_cli.main import cli
from sidecar_integrations.hooks import agents_md
from sidecar_integrations.hooks.install import InstallError, install, is_ours, settings_path, uninstall

FOREIGN = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls:*)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard.sh"}]}],
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo today is $(date)", "timeout": 3}]}],
    },
}


def _ours(settings: dict) -> dict[str, list[str]]:
    return {event: [h["command"] for g in groups for h in g["hooks"] if is_ours(h)]
            for event, groups in settings.get("hooks", {}).items()}


@pytest.mark.parametrize("agent, events", [
    ("claude-code", ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]),
    ("codex", ["SessionStart", "UserPromptSubmit", "Stop"]),
])
def test_install_merges_is_idempotent_and_uninstall_restores(tmp_path: Path, agent: str, events: list[str]) -> None:
    project = tmp_path / "proj"
    path = settings_path(agent, project)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(FOREIGN, indent=2))

    first = install(agent, project)
    merged = json.loads(path.read_text())
    assert first.changed and first.written
    ours = _ours(merged)
    assert sorted(e for e, cmds in ours.items() if cmds) == sorted(events)
    assert all(len(cmds) == 1 and cmds[0].endswith(f" {agent} {e}") for e, cmds in ours.items() if cmds)
    # other people's hooks and settings are untouched
    assert merged["model"] == "opus" and merged["permissions"] == FOREIGN["permissions"]
    assert merged["hooks"]["PreToolUse"] == FOREIGN["hooks"]["PreToolUse"]
    assert merged["hooks"]["UserPromptSubmit"][0] == FOREIGN["hooks"]["UserPromptSubmit"][0]

    before_second = path.read_bytes()
    second = install(agent, project)
    assert not second.changed and path.read_bytes() == before_second

    removed = uninstall(agent, project)
    assert removed.changed
    assert json.loads(path.read_text()) == FOREIGN
    assert not uninstall(agent, project).changed


def test_user_settings_honour_config_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-cfg"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    assert install("claude-code").path == tmp_path / "claude-cfg" / "settings.json"
    assert install("codex").path == tmp_path / "codex-home" / "hooks.json"
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    assert settings_path("claude-code") == Path.home() / ".claude" / "settings.json"


def test_refuses_to_touch_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = settings_path("claude-code", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{ this is not json")
    with pytest.raises(InstallError):
        install("claude-code", tmp_path)
    assert path.read_text() == "{ this is not json"


def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["hooks", "install", "codex", "--project", str(tmp_path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "-m sidecar_integrations.hooks codex UserPromptSubmit" in result.output
    assert not (tmp_path / ".codex").exists()
    result = CliRunner().invoke(cli, ["hooks", "install", "codex", "--project", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / ".codex" / "hooks.json").exists()


def test_agents_md_section_preserves_the_rest_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "AGENTS.md"
    head, tail = "# Project rules\r\n\r\nUse tabs.\r\n\r\n", "\r\n## Later section\r\nkeep me  \r\n"
    path.write_bytes((head + tail).encode())

    def convention(text: str) -> dict:
        return {"memory": text, "metadata": {"kind": "project_convention", "cwd": str(tmp_path)}}

    assert agents_md.sync_file(path, [convention("uses pytest")], project=tmp_path, opt_in=True).changed
    first = path.read_bytes().decode()
    assert first.startswith(head + tail)  # no section yet: appended after everything
    assert "- uses pytest" in first and first.count(markers.MANAGED_BEGIN) == 1

    # move the section to the middle, then refresh it with other memories
    section = first[first.index(markers.MANAGED_BEGIN):first.index(markers.MANAGED_END) + len(markers.MANAGED_END)]
    path.write_bytes((head + section + tail).encode())
    later = [convention("uses uv"), convention("the billing service is in services/billing")]
    assert agents_md.sync_file(path, later, project=tmp_path).changed  # the opt-in is in the file now
    text = path.read_bytes().decode()
    assert text.startswith(head) and text.endswith(tail)
    assert "- uses uv\r\n- the billing service is in services/billing" in text and "uses pytest" not in text
    assert not agents_md.sync_file(path, later, project=tmp_path).changed
    # removing the section gives back the file as it was
    assert agents_md.remove_section(path) and path.read_bytes().decode() == head + tail