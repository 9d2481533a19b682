"""Turning hand edits of MEMORY.md's managed section into store edits.

:class:`MemoryMdSync` holds no threads: the caller (the daemon's file watcher
and MemoryManager) feeds it change notifications, debounced with
:class:`Debouncer`, and applies the returned :class:`Edit` list to the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, NamedTuple

from sidecar.context.memory_md import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_LINES,
    MalformedLine,
    ManagedSection,
    content_md5,
    parse_managed,
    render_managed,
    splice,
)
from sidecar_shared.files import write_atomic
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END

EditOp = Literal["add", "delete", "update"]
_MIN_SECTION_LINES = 4  # markers + a truncation note: the section can't be smaller


def read_text_exact(path: Path) -> str | None:
    """The file's text with newlines untranslated, or None if it does not exist."""
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return None


class Edit(NamedTuple):
    """One change to apply to the store; ``short_id`` is None for an add."""

    op: EditOp
    short_id: str | None
    old_text: str | None
    new_text: str | None


def diff_edits(rendered_before: ManagedSection, edited: ManagedSection) -> list[Edit]:
    """Edits that turn ``rendered_before`` into ``edited``.

    A line without an id marker is an add (unless the same unmarked text was
    already in ``rendered_before``); a marker that vanished is a delete; a
    marker whose text changed is an update. While ``edited`` has malformed
    lines no deletes are produced: a damaged line or marker is a typo to
    report, and must not destroy the memory it belonged to. Markers unknown
    to ``rendered_before`` are ignored here.
    """
    before = rendered_before.by_short_id()
    after = edited.by_short_id()
    edits: list[Edit] = []
    if not edited.malformed:
        edits += [Edit("delete", sid, e.text, None) for sid, e in before.items() if sid not in after]
    for sid, entry in after.items():
        old = before.get(sid)
        if old is not None and old.text != entry.text:
            edits.append(Edit("update", sid, old.text, entry.text))
    pending_unmarked = Counter(e.text for e in rendered_before.entries if e.short_id is None)
    for entry in edited.entries:
        if entry.short_id is not None:
            continue
        if pending_unmarked[entry.text] > 0:
            pending_unmarked[entry.text] -= 1
        else:
            edits.append(Edit("add", None, None, entry.text))
    return edits


@dataclass
class FileChange:
    """What :meth:`MemoryMdSync.on_file_changed` found.

    ``problem`` names a section-level issue (file or markers missing, nothing
    rendered yet); then ``edits`` is empty so nothing is deleted by accident.
    """

    edits: list[Edit] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)
    own_write: bool = False
    problem: str | None = None


class MemoryMdSync:
    """Keeps one MEMORY.md's managed section in sync with the store.

    It remembers the MD5 of what it last wrote so its own writes, when the
    watcher reports them, produce no edits (no write/re-learn loop).
    """

    def __init__(
        self, path: Path | str, *, max_lines: int = DEFAULT_MAX_LINES, max_bytes: int = DEFAULT_MAX_BYTES,
        state_path: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        # The last version of the file this sync wrote or read, kept across restarts: what the user
        # changed while the daemon was stopped is the difference between it and the file.
        self.state_path = state_path
        self.last_written_md5: str | None = None
        self._last_processed_md5: str | None = None
        self._baseline: ManagedSection | None = None
        self._read_text: str | None = None
        self.written_stat: tuple[int, int, int] | None = None
        self.deferred = False

    def load_saved(self) -> bool:
        """Take the version saved by an earlier run as the baseline; False when there is none."""
        saved = read_text_exact(self.state_path) if self.state_path is not None else None
        section = parse_managed(saved) if saved is not None else None
        if saved is None or section is None or not section.complete:
            return False
        self._baseline = section
        self.last_written_md5 = content_md5(saved)
        return True

    def remember_read(self) -> None:
        """Save the version :meth:`on_file_changed` last read, once its edits are applied."""
        if self._read_text is not None:
            self._save(self._read_text)
            self._read_text = None

    def _save(self, text: str) -> None:
        if self.state_path is not None:
            write_atomic(self.state_path, text, private=True)

    def regenerate(self, memories: Iterable[Mapping[str, Any]], total: int | None = None) -> bool:
        """Re-render the managed section from ``memories``; write only if the file changes.

        The section's budget is what the whole-file budget leaves after the
        user's own text. Returns True if it wrote. Leaves the file alone and
        returns False with ``deferred`` set while the file holds hand edits
        that :meth:`on_file_changed` has not read yet (call it, apply its
        edits, then regenerate again). Raises ``ManagedSectionError`` if the
        user damaged the markers.
        """
        existing = read_text_exact(self.path)
        self.deferred = self._has_unread_change(existing)
        if self.deferred:
            return False
        placeholder = f"{MANAGED_BEGIN}\n{MANAGED_END}"
        probe = splice(existing, placeholder)
        outside_lines = _line_count(probe) - 2
        outside_bytes = len(probe.encode("utf-8")) - len(placeholder.encode("utf-8"))
        managed = render_managed(
            memories,
            max_lines=max(self.max_lines - outside_lines, _MIN_SECTION_LINES),
            max_bytes=max(self.max_bytes - outside_bytes, 0),
            total=total,
        )
        text = splice(existing, managed)
        self._baseline = parse_managed(text)
        self.last_written_md5 = content_md5(text)
        wrote = text != existing
        if wrote:
            write_atomic(self.path, text, private=True)  # memories: 0600, wherever the file is
            # taken at once: a hand edit landing while the state copy below is written must still be noticed
            st = self.path.stat()
            self.written_stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        if wrote or (self.state_path is not None and not self.state_path.exists()):
            self._save(text)
        return wrote

    def _has_unread_change(self, existing: str | None) -> bool:
        # Before the first render or read there is no baseline to diff against,
        # so nothing could be lost by writing.
        if existing is None or self._baseline is None:
            return False
        return content_md5(existing) not in (self.last_written_md5, self._last_processed_md5)

    def on_file_changed(self) -> FileChange:
        """Read the file after a change notification and report the edits in it."""
        text = read_text_exact(self.path)
        if text is None:
            return FileChange(problem="file missing")
        digest = content_md5(text)
        if digest in (self.last_written_md5, self._last_processed_md5):
            return FileChange(own_write=True)
        edited = parse_managed(text)
        # Read means processed, even when unusable: regenerate may then restore
        # a removed section, or refuse (ManagedSectionError) on damaged markers.
        self._last_processed_md5 = digest
        if edited is None:
            return FileChange(problem="managed section missing")
        if not edited.complete:
            return FileChange(malformed=edited.malformed, problem="managed section end marker missing")
        if self._baseline is None:
            self._baseline = edited
            return FileChange(malformed=edited.malformed, problem="nothing rendered yet; adopted file as baseline")
        known = self._baseline.by_short_id()
        unknown = [
            MalformedLine(e.line, e.text, "unknown memory id", e.short_id)
            for e in edited.entries
            if e.short_id is not None and e.short_id not in known
        ]
        edits = diff_edits(self._baseline, edited)
        self._baseline = _next_baseline(self._baseline, edited)
        self._read_text = text
        # Our last write is no longer the baseline: if the user reverts to it,
        # that revert is itself an edit and must be diffed, not ignored.
        self.last_written_md5 = None
        return FileChange(edits=edits, malformed=edited.malformed + unknown)


def _next_baseline(baseline: ManagedSection, edited: ManagedSection) -> ManagedSection:
    # Lines with ids we never rendered stay out, so removing them later is no
    # delete. While lines are malformed, deletes are held back: vanished
    # entries stay in, to be deleted (or matched) once the file is fixed.
    known = baseline.by_short_id()
    entries = [e for e in edited.entries if e.short_id is None or e.short_id in known]
    if edited.malformed:
        present = edited.by_short_id()
        entries += [e for e in baseline.entries if e.short_id and e.short_id not in present]
    return ManagedSection(entries=entries, malformed=[], complete=True)


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


class Debouncer:
    """Coalesces bursts of change notifications on a caller-supplied clock.

    ``poke(now)`` on every notification; ``due(now)`` is True once, after
    ``delay`` seconds without a poke, or ``max_delay`` after the first poke
    of a burst so a constantly changing file still gets processed.
    """

    def __init__(self, delay: float, *, max_delay: float | None = None) -> None:
        if delay < 0 or (max_delay is not None and max_delay < delay):
            raise ValueError("need 0 <= delay <= max_delay")
        self.delay = delay
        self.max_delay = max_delay
        self._first: float | None = None
        self._last: float | None = None

    @property
    def pending(self) -> bool:
        """True while a notification waits to be processed."""
        return self._last is not None

    def poke(self, now: float) -> None:
        """Record a change notification at time ``now``."""
        if self._first is None:
            self._first = now
        self._last = now

    def due(self, now: float) -> bool:
        """True (once per burst) when the pending notifications should be processed."""
        if self._last is None or self._first is None:
            return False
        quiet = now - self._last >= self.delay
        overdue = self.max_delay is not None and now - self._first >= self.max_delay
        if quiet or overdue:
            self._first = self._last = None
            return True
        return False
