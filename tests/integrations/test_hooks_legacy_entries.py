"""Hook entries written before the hooks moved to ``sidecar_integrations`` are replaced, not duplicated."""

from __future__ import annotations

import json
from pathlib import Path

from sidecar_integrations.hooks.install import install, is_ours, settings_path, uninstall

LEGACY = "/usr/bin/python3 -I -m sidecar_client.hooks claude-code Stop"


def _commands(settings: dict) -> list[str]:
    return [h["command"] for groups in settings.get("hooks", {}).values() for g in groups for h in g["hooks"]]


def test_install_replaces_an_entry_of_the_old_module(tmp_path: Path) -> None:
    path = settings_path("claude-code", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": LEGACY}]}]}}))
    assert is_ours({"command": LEGACY})

    install("claude-code", tmp_path)
    commands = _commands(json.loads(path.read_text()))
    assert LEGACY not in commands
    assert sum(c.endswith(" -m sidecar_integrations.hooks claude-code Stop") for c in commands) == 1

    uninstall("claude-code", tmp_path)
    assert _commands(json.loads(path.read_text())) == []
