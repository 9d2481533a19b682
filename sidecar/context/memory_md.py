"""MEMORY.md's managed section: render it from store records, splice it into
the file without touching the user's own text, and parse it back.

Each memory is one list line ending in a short id marker
(``- text <!-- mem:1a2b3c4d -->``), so hand edits can be mapped back to store
records (see :mod:`sidecar.context.memory_md_edits`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END

DEFAULT_MAX_LINES = 200
DEFAULT_MAX_BYTES = 25_000
FILE_TITLE = "# Memory"
GENERAL_GROUP = "General"
SHORT_ID_LENGTH = 8

_BULLET = re.compile(r"^\s*[-*+]\s+(.*?)\s*$")
_ID_MARKER_TAIL = re.compile(r"\s*<!--\s*mem:\s*([^\s>]*)\s*-->\s*$")
_ANY_ID_MARKER = re.compile(r"<!--\s*mem:")
_VALID_SHORT_ID = re.compile(r"^[0-9a-f]{8}$")
_NOTE = re.compile(r"^_.*_$")


class ManagedSectionError(ValueError):
    """The file's managed-section markers are damaged (e.g. an end marker is missing)."""


@dataclass(frozen=True)
class ManagedEntry:
    """One memory line of the managed section (``line`` is 1-based in the whole file)."""

    short_id: str | None
    text: str
    line: int


@dataclass(frozen=True)
class MalformedLine:
    """A managed-section line that could not be read as a memory; reported, never raised."""

    line: int
    content: str
    reason: str
    short_id: str | None = None


@dataclass
class ManagedSection:
    """The parsed managed section; ``complete`` is False when the end marker is missing."""

    entries: list[ManagedEntry] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)
    complete: bool = True

    def by_short_id(self) -> dict[str, ManagedEntry]:
        """Entries that carry an id marker, keyed by it."""
        return {e.short_id: e for e in self.entries if e.short_id is not None}


def short_id(memory_id: str) -> str:
    """The first 8 hex digits of a memory's uuid, as used in the id marker."""
    return memory_id.replace("-", "").lower()[:SHORT_ID_LENGTH]


def one_line(text: str) -> str:
    """``text`` collapsed to one line, with comment delimiters defused so a
    memory can never forge an id marker or close the managed section."""
    flat = " ".join(text.split())
    return flat.replace("<!--", "< !--").replace("-->", "-- >")


def strip_id_marker(line: str) -> str:
    """``line`` without a trailing ``<!-- mem:… -->`` marker."""
    return _ID_MARKER_TAIL.sub("", line)


def is_note_line(stripped_line: str) -> bool:
    """True for the italic status lines we render (sync stamp, truncation note)."""
    return len(stripped_line) > 1 and bool(_NOTE.match(stripped_line))


def _recency(record: Mapping[str, Any]) -> float:
    # Parsed, not compared as text: mem0 stamps carry a UTC offset that can vary.
    stamp = str(record.get("updated_at") or record.get("created_at") or "")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def group_of(record: Mapping[str, Any]) -> str:
    """Heading a memory is listed under: its metadata kind, else its agent, else General."""
    metadata = record.get("metadata") or {}
    kind = metadata.get("kind") if isinstance(metadata, Mapping) else None
    if isinstance(kind, str) and kind.strip():
        return one_line(kind.replace("_", " ")).capitalize()
    agent = record.get("agent_id")
    if isinstance(agent, str) and agent.strip():
        return f"Agent {one_line(agent)}"
    return GENERAL_GROUP


def _cost(line: str) -> int:
    return len(line.encode("utf-8")) + 1


def render_managed(
    memories: Iterable[Mapping[str, Any]],
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
    total: int | None = None,
) -> str:
    """The managed section (markers included, no trailing newline).

    Memories are grouped under ``### <group>`` headings (see :func:`group_of`),
    newest first. ``max_lines``/``max_bytes`` bound the whole section; when
    not everything fits, the newest memories are kept and a note says how
    many were left out. ``now`` adds a sync-time stamp line; leave it None
    when the file should only change when the memories do. ``total`` is the
    number of memories in the scope when ``memories`` holds only the newest of them.
    """
    records = [m for m in memories if one_line(str(m.get("memory") or ""))]
    records.sort(key=_recency, reverse=True)
    unseen = max(0, (total or 0) - len(records))
    head = [MANAGED_BEGIN]
    if now is not None:
        head.append(f"_Synced from the memory store at {now:%Y-%m-%d %H:%M}._")
    lines_used = len(head) + 1
    bytes_used = sum(_cost(line) for line in head) + _cost(MANAGED_END)
    note_reserve = _cost(f"_… {len(records) + unseen} more memories not shown (budget)_") + 1

    groups: dict[str, list[str]] = {}
    shown = 0
    for record in records:
        line = f"- {one_line(str(record['memory']))} <!-- mem:{short_id(str(record.get('id', '')))} -->"
        group = group_of(record)
        extra_lines = 1 if group in groups else 3  # new group: blank + heading + line
        extra_bytes = _cost(line) + (0 if group in groups else 1 + _cost(f"### {group}"))
        remaining = len(records) + unseen - shown - 1
        reserve_lines, reserve_bytes = (2, note_reserve) if remaining else (0, 0)
        if (
            lines_used + extra_lines + reserve_lines > max_lines
            or bytes_used + extra_bytes + reserve_bytes > max_bytes
        ):
            break
        groups.setdefault(group, []).append(line)
        lines_used += extra_lines
        bytes_used += extra_bytes
        shown += 1

    out = list(head)
    for group in sorted(groups, key=lambda g: (g == GENERAL_GROUP, g.lower())):
        out += ["", f"### {group}", *groups[group]]
    hidden = len(records) + unseen - shown
    if hidden:
        noun = "memory" if hidden == 1 else "memories"
        out += ["", f"_… {hidden} more {noun} not shown (budget)_"]
    out.append(MANAGED_END)
    return "\n".join(out)


def find_section(text: str) -> tuple[int, int] | None:
    """Character span ``[start, end)`` of the managed section, markers included.

    None when there is no begin marker; raises :class:`ManagedSectionError`
    when a begin marker has no end marker after it.
    """
    start = text.find(MANAGED_BEGIN)
    if start < 0:
        return None
    end = text.find(MANAGED_END, start + len(MANAGED_BEGIN))
    if end < 0:
        raise ManagedSectionError("managed section has no end marker")
    return start, end + len(MANAGED_END)


def splice(existing: str | None, managed: str) -> str:
    """``existing`` with its managed section replaced by ``managed``.

    Text outside the markers is preserved byte for byte. Without a section,
    ``managed`` is appended; a missing or blank file gets a small title line.
    Raises :class:`ManagedSectionError` if the existing markers are damaged,
    because guessing where the section ends could destroy the user's text.
    """
    if not (managed.startswith(MANAGED_BEGIN) and managed.endswith(MANAGED_END)):
        raise ValueError("managed text must start and end with the managed markers")
    if existing is None or not existing.strip():
        return f"{FILE_TITLE}\n\n{managed}\n"
    span = find_section(existing)
    if span is None:
        if existing.endswith("\n\n"):
            separator = ""
        elif existing.endswith("\n"):
            separator = "\n"
        else:
            separator = "\n\n"
        return f"{existing}{separator}{managed}\n"
    start, end = span
    return existing[:start] + managed + existing[end:]


def managed_lines(text: str) -> list[tuple[int, str]] | None:
    """Lines strictly between the markers as ``(1-based line number, line)``.

    None without a section; an unterminated section runs to the end of the text.
    """
    start = text.find(MANAGED_BEGIN)
    if start < 0:
        return None
    first_line = text.count("\n", 0, start) + 2
    body_start = start + len(MANAGED_BEGIN)
    end = text.find(MANAGED_END, body_start)
    body = text[body_start:] if end < 0 else text[body_start:end]
    lines = body.split("\n")
    # The begin marker's own line tail and the end marker's line head are not content.
    lines = lines[1:]
    if end >= 0 and lines:
        lines = lines[:-1]
    return list(enumerate(lines, start=first_line))


def parse_managed(text: str) -> ManagedSection | None:
    """Parse the managed section of a whole MEMORY.md text (None without one).

    Headings, blank lines and italic note lines are skipped; list lines become
    entries; anything else is reported in ``malformed``.
    """
    numbered = managed_lines(text)
    if numbered is None:
        return None
    section = ManagedSection(complete=text.find(MANAGED_END, text.find(MANAGED_BEGIN)) >= 0)
    seen: set[str] = set()
    for number, raw in numbered:
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or is_note_line(stripped):
            continue
        marker = _ID_MARKER_TAIL.search(stripped)
        found_id = marker.group(1).lower() if marker else None
        bullet = _BULLET.match(stripped)
        if bullet is None:
            section.malformed.append(MalformedLine(number, raw, "not a list item", found_id))
            continue
        body = bullet.group(1)
        entry_text = (body[: _ID_MARKER_TAIL.search(body).start()] if marker else body).strip()
        problem = None
        if found_id is not None and not _VALID_SHORT_ID.match(found_id):
            problem = "damaged id marker"
        elif _ANY_ID_MARKER.search(entry_text):
            problem = "more than one id marker on a line"
        elif not entry_text:
            problem = "empty memory text"
        elif found_id is not None and found_id in seen:
            problem = "duplicate id marker"
        if problem:
            section.malformed.append(MalformedLine(number, raw, problem, found_id))
            continue
        if found_id is not None:
            seen.add(found_id)
        section.entries.append(ManagedEntry(found_id, entry_text, number))
    return section


def content_md5(text: str) -> str:
    """Hex MD5 of ``text`` as UTF-8 (a change detector, not a security measure)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()
