"""Merge our hook entries into Claude Code's settings.json or Codex's hooks.json, and take them out again.

Both files use the same shape::

    {"hooks": {"<Event>": [{"matcher": "...", "hooks": [{"type": "command", "command": "...", "timeout": 5}]}]}}

Our entries are recognised by their command (it runs ``-m sidecar_integrations.hooks``),
so install replaces exactly ours (idempotent, and it updates a moved
interpreter path) and uninstall removes exactly ours; every other key, group
and hook is kept as it was.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidecar_shared.files import write_atomic
from sidecar_integrations.hooks import claude_code
from sidecar_integrations.hooks import codex

HOOK_MODULE = "sidecar_integrations.hooks"
OUR_COMMAND_MARK = f"-m {HOOK_MODULE} "
# entries written before the hooks moved out of sidecar_client (v0.1): install and uninstall replace them
LEGACY_COMMAND_MARKS = ("-m sidecar_client.hooks ",)
HOOK_TIMEOUT_S = 5  # the agent's kill switch; the hook itself gives up before 2 s
# SessionStart matchers select the source (startup, resume, clear, compact); "" matches all.
MATCHERS: dict[str, str | None] = {"SessionStart": "", "UserPromptSubmit": None, "Stop": None, "SessionEnd": None}
EVENTS_BY_AGENT = {"claude-code": claude_code.EVENTS, "codex": codex.EVENTS}


class InstallError(Exception):
    """The settings file cannot be merged safely (it is not JSON, or not the expected shape)."""


@dataclass
class InstallResult:
    """What install/uninstall did (or would do, with ``dry_run``)."""

    path: Path
    changed: bool
    text: str  # the file's new content
    written: bool


def settings_path(agent: str, project: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The file our hooks go into: user-wide, or ``project``'s when given."""
    env = os.environ if env is None else env
    if agent == "claude-code":
        if project is not None:
            return project / ".claude" / "settings.json"
        base = env.get("CLAUDE_CONFIG_DIR") or str(Path(env.get("HOME") or Path.home()) / ".claude")
        return Path(base).expanduser() / "settings.json"
    if agent == "codex":
        if project is not None:
            return project / ".codex" / "hooks.json"
        base = env.get("CODEX_HOME") or str(Path(env.get("HOME") or Path.home()) / ".codex")
        return Path(base).expanduser() / "hooks.json"
    raise InstallError(f"unknown agent {agent!r}; expected one of {sorted(EVENTS_BY_AGENT)}")


def hook_command(agent: str, event: str, python: str | None = None) -> str:
    """The shell command the agent runs for ``event`` (``-I``: the project's cwd never shadows our modules)."""
    return f"{shlex.quote(python or sys.executable)} -I {OUR_COMMAND_MARK}{agent} {event}"


def is_ours(hook: Any) -> bool:
    """True for a hook entry this module wrote."""
    command = str(hook.get("command", "")) if isinstance(hook, dict) else ""
    return any(mark in command for mark in (OUR_COMMAND_MARK, *LEGACY_COMMAND_MARKS))


def without_ours(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``settings`` with our hook entries (and groups/events they leave empty) removed."""
    result = copy.deepcopy(settings)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            inner = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(inner, list) or not any(is_ours(h) for h in inner):
                kept.append(group)
                continue
            remaining = [h for h in inner if not is_ours(h)]
            if remaining:
                kept.append({**group, "hooks": remaining})
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del result["hooks"]
    return result


def with_ours(settings: dict[str, Any], agent: str, python: str | None = None) -> dict[str, Any]:
    """A copy of ``settings`` with exactly one group of ours per event of ``agent``."""
    if "hooks" in settings and not isinstance(settings["hooks"], dict):
        raise InstallError("'hooks' is not an object; fix the file by hand first")
    result = without_ours(settings)
    hooks = result.setdefault("hooks", {})
    for event in EVENTS_BY_AGENT[agent]:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InstallError(f"'hooks.{event}' is not a list; fix the file by hand first")
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": hook_command(agent, event, python),
                                            "timeout": HOOK_TIMEOUT_S}]}
        if MATCHERS.get(event) is not None:
            group = {"matcher": MATCHERS[event], **group}
        groups.append(group)
    return result


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    raw = path.read_text(encoding="utf-8")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InstallError(f"{path} is not valid JSON ({exc}); not touching it") from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; not touching it")
    return data


def _apply(path: Path, before: dict[str, Any], after: dict[str, Any], dry_run: bool) -> InstallResult:
    text = json.dumps(after, indent=2, ensure_ascii=False) + "\n"
    changed = after != before
    if changed and not dry_run:
        write_atomic(path, text, new_file_mode=0o600)
    return InstallResult(path, changed, text, changed and not dry_run)


def install(agent: str, project: Path | None = None, *, dry_run: bool = False,
            python: str | None = None) -> InstallResult:
    """Merge our hooks for ``agent`` into its settings file (idempotent)."""
    path = settings_path(agent, project)
    before = _load(path)
    return _apply(path, before, with_ours(before, agent, python), dry_run)


def uninstall(agent: str, project: Path | None = None, *, dry_run: bool = False) -> InstallResult:
    """Remove our hooks from ``agent``'s settings file; everything else stays."""
    path = settings_path(agent, project)
    before = _load(path)
    return _apply(path, before, without_ours(before), dry_run)
