"""Split one transcript message into units: prose, list items, code, commands, output.

Agent transcripts mix what a person says with what machines print: fenced code,
shell commands, diffs, stack traces, tool output, tables, headings. Only prose
and list items can state a fact; everything else would be junk in memory. A
list item becomes one whole statement without its numbering, and a list that was
flattened onto one line ("1. dual boot Windows 2. the clock is off") is split
back into its items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROSE_KINDS = ("prose", "list_item")

_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)]|[a-z][.)]|\[[ xX]\])\s+(?=\S)")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_TABLE = re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}")
_QUOTE = re.compile(r"^\s*>\s?")
_DIFF = re.compile(r"^(?:@@ .* @@|\+\+\+ |--- a/|diff --git |index [0-9a-f]{6,}\.\.)")
_TRACE = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|at [\w.$<>]+\(.*\)\s*$|"
    r"[\w.]*(?:Error|Exception|Warning)(?::|\s*$)|panic:|thread '.*' panicked|Caused by:)"
)
_LOG = re.compile(
    r"^\s*(?:\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\[?\d\d:\d\d:\d\d\]?\s|(?:INFO|WARN(?:ING)?|ERROR|DEBUG|TRACE|FATAL)\b[:\s\]]|"
    r"npm (?:ERR!|WARN)|error(?:\[E\d+\])?:|warning:|\s*\d+\s+(?:passed|failed)\b)"
)
_PROMPT = re.compile(r"^\s*(?:\$|PS [A-Z]:\\[^>]*>|[A-Z]:\\[^>]*>|>>>|\.\.\.|❯|%)\s+\S")
_SHELL_WORDS = (
    "cd ls ll cat grep rg sed awk find git npm npx pnpm yarn bun pip pip3 pipx uv poetry python python3 "
    "node deno cargo rustc go make cmake docker docker-compose kubectl helm curl wget ssh scp rsync sudo "
    "apt apt-get brew pacman yay dnf yum winget choco chmod chown mkdir rmdir rm mv cp touch echo export "
    "source zsh bash sh fish tar unzip systemctl journalctl code vim nano less head tail wc sort xargs "
    "powershell pwsh get-childitem set-location select-string get-content sc.exe reg mvn gradle dotnet "
    "pytest ruff mypy black eslint prettier tsc jest vitest psql sqlite3 redis-cli gh hx nvim tmux"
).split()
_SHELL_START = re.compile(r"(?i)^\s*(?:" + "|".join(re.escape(w) for w in _SHELL_WORDS) + r")(?=\s|$)")
_SHELL_SYNTAX = re.compile(r"(?:\s--?[a-zA-Z][\w-]*|&&|\|\||\s\|\s|\$\{?\w+|~/|\s\.{1,2}/|\s>\s?\S|;\s*$|`)")
_SHELL_ARGUMENT = re.compile(r"(?:\S/\S|\s/[\w.-]+|\s[\w-]+\.(?:[a-z]{1,4})\b|\s[\w.-]+@[\w.-]+|\s\S+=\S)")
_LONG_PROSE = re.compile(r"(?<![A-Za-z'])(?:[A-Za-z']{2,30}\s+){4,}[A-Za-z']{2,30}(?![A-Za-z'])")
_CODE_START = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |const |let |var |function |return\b|async |await |"
    r"export |public |private |protected |static |#include|package |fn |impl |struct |enum |interface |"
    r"type \w+ =|if \(|for \(|while \(|switch \(|try \{|catch|else\b|elif |@\w+|//|/\*|\*/|<\?php|<!--|"
    r"<[a-zA-Z][\w-]*(?:\s[^>]*)?/?>|SELECT |INSERT |UPDATE \w+ SET|CREATE TABLE)"
)
_CODE_END = re.compile(r"(?:[;{}]|\)\s*[;{]?|\],?|\),|=>\s*|:\s*)\s*$")
_SYMBOLS = set("{}[]();=<>$|&\\")
_PROSE_RUN = re.compile(r"(?<![A-Za-z'])[A-Za-z']{2,30}\s+[A-Za-z']{2,30}\s+[A-Za-z']{2,30}(?![A-Za-z'])")
_INLINE_ITEM = re.compile(r"(?:(?<=^)|(?<=\s))(\d{1,2})[.)]\s+(?=\S)")
_TRAILING_NUMBER = re.compile(r"(?<=[.!?])\s+\d{1,2}[.)]?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class Unit:
    """One part of a message: ``kind`` is prose, list_item, code, command, diff, trace, log,
    table or heading (a quoted line is read as what it quotes)."""

    kind: str
    text: str


def split_units(text: str) -> list[Unit]:
    """The units of ``text`` in order; see the module docstring."""
    units: list[Unit] = []
    paragraph: list[str] = []
    fence: str | None = None
    fenced: list[str] = []

    def flush() -> None:
        if paragraph:
            units.extend(unit for part in _join_lines(paragraph) for unit in _prose_units(part))
            paragraph.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        line = _QUOTE.sub("", line, count=1) if _QUOTE.match(line) else line
        if fence is not None:
            if line.strip().startswith(fence):
                units.append(Unit("code", "\n".join(fenced)))
                fence, fenced = None, []
            else:
                fenced.append(line)
            continue
        opening = _FENCE.match(line)
        if opening:
            flush()
            fence = opening.group(1)
            continue
        kind = line_kind(line)
        if kind == "blank":
            flush()
        elif kind == "prose":
            paragraph.append(line)
        elif kind == "list_item":
            flush()
            if re.match(r"^\s*1[.)]\s", line) and _inline_items(line.strip()) is not None:
                units.extend(_prose_units(line.strip()))
                continue
            item = _BULLET.sub("", line, count=1).strip()
            item_kind = line_kind(item)
            units.append(Unit("list_item" if item_kind == "prose" else item_kind, _clean_prose(item)))
        else:
            flush()
            _append_machine(units, kind, line)
    flush()
    if fence is not None and fenced:
        units.append(Unit("code", "\n".join(fenced)))
    return [u for u in units if u.text.strip()]


def prose_text(text: str) -> str:
    """Only the prose and list items of ``text``, one unit per line ('' if none)."""
    return "\n".join(u.text for u in split_units(text) if u.kind in PROSE_KINDS)


def line_kind(line: str) -> str:
    """What one line is, read alone: blank, prose, list_item or a machine kind."""
    stripped = line.strip()
    if not stripped:
        return "blank"
    if _HEADING.match(line):
        return "heading"
    if _TABLE.match(line):
        return "table"
    if _DIFF.match(line):
        return "diff"
    if _TRACE.match(line):
        return "trace"
    if _LOG.match(line):
        return "log"
    if _PROMPT.match(line):
        return "command"
    if _BULLET.match(line):
        return "list_item"
    if line.startswith(("    ", "\t")) and _looks_like_code(stripped):
        return "code"
    if is_command(stripped):
        return "command"
    if _looks_like_code(stripped):
        return "code"
    return "prose"


def is_command(text: str) -> bool:
    """A shell command line: a known command word followed by shell syntax, not a sentence."""
    if not _SHELL_START.match(text):
        return False
    words = text.split()
    if len(words) == 1:
        return text.strip().lower() in ("ls", "pwd", "make", "exit", "clear")
    if _SHELL_SYNTAX.search(text):
        return True
    if _SHELL_ARGUMENT.search(text):
        return not _LONG_PROSE.search(text)
    return not _PROSE_RUN.search(text)


def _looks_like_code(text: str) -> bool:
    if _CODE_START.match(text):
        return True
    symbols = sum(ch in _SYMBOLS for ch in text)
    words = re.findall(r"[A-Za-z]{2,}", text)
    if symbols >= 3 and symbols > len(words):
        return True
    if _CODE_END.search(text) and (symbols >= 2 or re.search(r"\w\(|\w\.\w+\(|\w: \w+[\[(]", text)):
        return not _PROSE_RUN.search(text) or symbols >= 4
    return bool(re.match(r"^[\w.]+\s*(?:=|\+=|:=)\s*\S", text) and " " not in text.split("=", 1)[0].strip())


def _join_lines(lines: list[str]) -> list[str]:
    """Chat lines are statements of their own; only a long line cut mid-sentence continues."""
    parts: list[str] = []
    for line in (raw.strip() for raw in lines):
        if parts and len(parts[-1]) >= 60 and not parts[-1].endswith((".", "!", "?", ":", ";", "。")) and line[:1].islower():
            parts[-1] = f"{parts[-1]} {line}"
        else:
            parts.append(line)
    return parts


def _append_machine(units: list[Unit], kind: str, line: str) -> None:
    if units and units[-1].kind == kind:
        units[-1] = Unit(kind, f"{units[-1].text}\n{line}")
    else:
        units.append(Unit(kind, line))


def _prose_units(paragraph: str) -> list[Unit]:
    """One paragraph of prose, split into inline list items when it holds a flattened list."""
    items = _inline_items(paragraph)
    if items is None:
        return [Unit("prose", _clean_prose(paragraph))]
    head, rest = items
    units = [Unit("prose", _clean_prose(head))] if head.strip() else []
    return units + [Unit("list_item", _clean_prose(item)) for item in rest]


def _inline_items(paragraph: str) -> tuple[str, list[str]] | None:
    """("intro", [item1, item2, ...]) for '... 1. a 2. b', numbered 1, 2, 3... in order; else None."""
    marks = [m for m in _INLINE_ITEM.finditer(paragraph)]
    expected, chosen = 1, []
    for mark in marks:
        if int(mark.group(1)) == expected:
            chosen.append(mark)
            expected += 1
    if len(chosen) < 2:
        return None
    head = paragraph[: chosen[0].start()]
    items = [paragraph[m.end(): (chosen[i + 1].start() if i + 1 < len(chosen) else len(paragraph))].strip()
             for i, m in enumerate(chosen)]
    return head, items


def _clean_prose(text: str) -> str:
    text = _EMPHASIS.sub(r"\2", text)
    text = _TRAILING_NUMBER.sub("", text.strip())
    return text.strip()
