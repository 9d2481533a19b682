"""Where each agent keeps its transcripts, and which files under a root count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """A folder holding one agent's transcripts.

    ``patterns`` and ``excludes`` are ``/``-separated globs relative to
    ``root``; ``*`` matches within one path segment, a ``**`` segment matches
    any number of segments.
    """

    agent: str
    root: Path
    patterns: tuple[str, ...]
    excludes: tuple[str, ...] = ()


_DIGITS = "[0-9]"


def default_sources(
    *,
    home: Path,
    env: Mapping[str, str],
    aider_projects: Sequence[Path] = (),
    generic_dirs: Sequence[Path] = (),
    enabled: Mapping[str, bool] | None = None,
) -> list[Source]:
    """The transcript sources on this machine whose root exists and that are enabled.

    ``enabled`` maps agent names to on/off; agents it does not name are on.
    ``CLAUDE_CONFIG_DIR`` and ``CODEX_HOME`` in ``env`` move those agents' homes.
    """
    claude_home = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    codex_home = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    year, month_or_day = _DIGITS * 4, _DIGITS * 2
    candidates = [
        Source(
            "claude-code",
            claude_home / "projects",
            ("*/*.jsonl", "*/*/subagents/*.jsonl"),
            ("*/memory/**", "**/tool-results/**"),
        ),
        Source("codex", codex_home / "sessions", (f"{year}/{month_or_day}/{month_or_day}/rollout-*.jsonl",)),
        Source("gemini", home / ".gemini" / "tmp", ("*/chats/session-*.jsonl", "*/chats/session-*.json")),
    ]
    candidates += [Source("aider", Path(project), (".aider.chat.history.md",)) for project in aider_projects]
    candidates += [Source("generic", Path(folder), ("*.jsonl",)) for folder in generic_dirs]
    switches = enabled or {}
    return [s for s in candidates if switches.get(s.agent, True) and s.root.is_dir()]


def matches(source: Source, path: Path) -> bool:
    """True if ``path`` lies under ``source.root`` and matches a pattern but no exclude."""
    try:
        relative = Path(path).relative_to(source.root).parts
    except ValueError:
        return False
    if not relative:
        return False
    if any(_glob_match(tuple(p.split("/")), relative) for p in source.excludes):
        return False
    return any(_glob_match(tuple(p.split("/")), relative) for p in source.patterns)


def _glob_match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _glob_match(rest, parts[1:])
