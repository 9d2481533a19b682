"""The agents' own memory files, read (never written) for ``memctl import-native``.

Claude Code keeps instructions and notes in CLAUDE.md files (``~/.claude/CLAUDE.md``,
a project's ``CLAUDE.md``, ``.claude/CLAUDE.md`` and ``CLAUDE.local.md``) and its auto
memory in ``~/.claude/projects/<project>/memory/*.md``; Codex keeps its memories in
``~/.codex/memories/``. Each file is split into statements (list items and paragraphs;
headings, code, tables, front matter and our own injected blocks left out) for the write
gate to judge. Files are opened read-only; nothing here changes or disables them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END, strip_injected

MAX_FILE_BYTES = 1_000_000  # an agent's memory file is notes, not a data dump
MIN_STATEMENT_CHARS = 8
MAX_STATEMENT_CHARS = 1000
MEMORY_SUFFIXES = (".md", ".markdown", ".txt")

_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass
class NativeFile:
    """One memory file of an agent and the statements read from it."""

    agent: str  # "claude-code" or "codex"
    kind: str  # "CLAUDE.md", "auto-memory" or "memories"
    path: Path
    statements: list[str] = field(default_factory=list)
    problem: str | None = None


def claude_home(env: Mapping[str, str]) -> Path:
    """Claude Code's config folder: ``$CLAUDE_CONFIG_DIR`` or ``~/.claude``."""
    return Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else _home(env) / ".claude"


def codex_home(env: Mapping[str, str]) -> Path:
    """Codex's folder: ``$CODEX_HOME`` or ``~/.codex``."""
    return Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else _home(env) / ".codex"


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def _memory_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MEMORY_SUFFIXES)


def discover(env: Mapping[str, str], project: Path | None, agents: tuple[str, ...]) -> list[NativeFile]:
    """Every native memory file of ``agents`` that exists, for ``project`` (a folder) when given."""
    found: list[NativeFile] = []
    if "claude-code" in agents:
        claude = claude_home(env)
        candidates = [claude / "CLAUDE.md"]
        if project is not None:
            candidates += [project / "CLAUDE.md", project / ".claude" / "CLAUDE.md", project / "CLAUDE.local.md"]
        found += [NativeFile("claude-code", "CLAUDE.md", p) for p in candidates if p.is_file()]
        projects = claude / "projects"
        if project is not None:
            folders = [projects / re.sub(r"[^A-Za-z0-9]", "-", str(project.resolve())) / "memory"]
        else:
            folders = sorted(projects.glob("*/memory")) if projects.is_dir() else []
        found += [NativeFile("claude-code", "auto-memory", p) for folder in folders for p in _memory_files(folder)]
    if "codex" in agents:
        found += [NativeFile("codex", "memories", p) for p in _memory_files(codex_home(env) / "memories")]
    for native in found:
        _read(native)
    return found


def _read(native: NativeFile) -> None:
    try:
        if native.path.stat().st_size > MAX_FILE_BYTES:
            native.problem = f"larger than {MAX_FILE_BYTES} bytes; skipped"
            return
        with native.path.open("rb") as handle:  # read-only: the agent's file is never written
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        native.problem = f"unreadable: {exc.strerror or exc}"
        return
    native.statements = list(statements(text))


def _without_our_blocks(text: str) -> str:
    """The text without our injected context and our managed MEMORY.md section (never re-imported)."""
    text = strip_injected(text)
    while (start := text.find(MANAGED_BEGIN)) >= 0:
        end = text.find(MANAGED_END, start)
        text = text[:start] + ("" if end < 0 else text[end + len(MANAGED_END):])
    return _COMMENT.sub("", text)


def statements(text: str) -> Iterator[str]:
    """The statements of a Markdown memory file: each list item, each paragraph, in order."""
    lines = _without_our_blocks(text).splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        lines = lines[closing + 1:] if closing is not None else lines
    paragraph: list[str] = []
    in_code = False

    def flush() -> Iterator[str]:
        if paragraph:
            yield from _clean(" ".join(paragraph))
            paragraph.clear()

    for line in lines:
        if _FENCE.match(line):
            yield from flush()
            in_code = not in_code
            continue
        stripped = line.strip()
        if in_code or line.startswith(("    ", "\t")) and not paragraph:
            continue
        if not stripped or stripped.startswith(("#", "|", ">")) or set(stripped) <= set("-=*_ "):
            yield from flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            yield from flush()
            paragraph.append(bullet.group(1))
            continue
        paragraph.append(stripped)
    yield from flush()


def _clean(statement: str) -> Iterator[str]:
    text = " ".join(statement.replace("**", "").replace("__", "").split())
    if MIN_STATEMENT_CHARS <= len(text) <= MAX_STATEMENT_CHARS:
        yield text
