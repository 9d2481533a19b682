"""One MEMORY.md's work, done with its lock held: render it from the store, read its hand edits back.

:class:`~sidecar.context.md_sync.MemoryMdService` owns the files, their debouncers and
the sync thread; when a file's render or its hand edits are due it takes the file's
lock and calls :meth:`MdTargetWork.regenerate` or :meth:`MdTargetWork.read_hand_edits`.
Failures are kept on the target (``problem``, ``malformed``, ``edit_failures``) and
logged; a copy of the file is kept before lines that could not be applied are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sidecar.context.dated import stamp
from sidecar.context.md_state import keep_copy
from sidecar.context.md_target import MdTarget
from sidecar.context.memory_md import ManagedSectionError, short_id
from sidecar.context.memory_md_edits import Debouncer, Edit
from sidecar.learn.secret_guard import scrub
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.context.md_sync")

MAX_REPORTED_MALFORMED = 20
EDIT_SOURCE = {"source": "MEMORY.md"}
OFFLINE_EDIT = "MEMORY.md, edited while the daemon was stopped"


class MdTargetWork:
    """Renders and reads back one target at a time; the caller holds ``target.lock``."""

    def __init__(self, store: MemoryStore, poke: Callable[[Debouncer, float], None],
                 clock: Callable[[], float], delay: float) -> None:
        """``poke`` schedules a debouncer (the service guards them); ``delay`` is the debounce delay."""
        self.store = store
        self._poke = poke
        self._clock = clock
        self.delay = delay

    def _newest(self, target: MdTarget) -> tuple[list[dict[str, Any]], int] | None:
        try:
            records, total = self.store.newest(dict(target.scope), keep=target.sync.max_lines)
        except Exception as exc:
            target.problem = f"reading the store failed: {exc}"
            log.warning("MEMORY.md %s not regenerated: %s", target.path, exc)
            return None
        target.short_ids = {short_id(str(r["id"])): str(r["id"]) for r in records if r.get("id")}
        target.stamps = {short_id(str(r["id"])): stamp(r) for r in records if r.get("id")}
        return records, total

    def _adopt(self, target: MdTarget) -> None:
        """First sight of a file left by an earlier run: apply what the user changed while we were stopped."""
        target.adopted = True
        if not target.path.exists():
            return
        if target.sync.load_saved():
            if self._newest(target) is not None:  # the ids the saved version was rendered with
                self.read_hand_edits(target, offline=True)
            return
        # No saved version (a file from before versions were kept): it becomes the baseline, and a
        # copy is kept, since edits made in it while the daemon was down cannot be told apart.
        change = target.sync.on_file_changed()
        if not change.own_write:
            self._keep_copy(target, "adopted")

    def _keep_copy(self, target: MdTarget, why: str) -> None:
        state = target.sync.state_path
        if state is None:
            return
        try:
            copy = keep_copy(state, target.path, why)
        except OSError as exc:
            log.warning("MEMORY.md %s: keeping a copy failed: %s", target.path, exc)
            return
        if copy is not None:
            target.kept_copies.append(str(copy))
            log.warning("MEMORY.md %s: a copy of the file as it was is kept at %s", target.path, copy)

    def regenerate(self, target: MdTarget) -> None:
        """Render ``target`` from the store (adopting the file first if it is new to this run)."""
        if not target.adopted:
            self._adopt(target)
        newest = self._newest(target)
        if newest is None:
            return
        records, total = newest
        try:
            wrote = target.sync.regenerate(records, total=total)
        except ManagedSectionError as exc:
            target.problem = f"{exc}; fix the markers by hand, nothing was overwritten"
            log.warning("MEMORY.md %s: %s", target.path, target.problem)
            return
        except OSError as exc:
            target.problem = f"writing failed: {exc}"
            log.warning("MEMORY.md %s: %s", target.path, target.problem)
            return
        if target.sync.deferred:  # unread hand edits: read them first, render after
            now = self._clock()
            self._poke(target.file_events, now - self.delay)
            self._poke(target.regen, now)
            return
        if target.problem and not target.malformed:
            target.problem = None
        target.regenerations += 1
        if wrote:
            target.generation += 1
            target.stat = target.sync.written_stat

    def read_hand_edits(self, target: MdTarget, *, offline: bool = False) -> None:
        """Apply the hand edits of ``target``'s file to the store, and schedule a re-render."""
        if not target.adopted:  # the first read of a file is its adoption (edits made while we were stopped)
            self._adopt(target)
            return
        change = target.sync.on_file_changed()
        if change.own_write:
            return
        target.problem = change.problem
        target.malformed = [{"line": m.line, "content": scrub(m.content), "reason": m.reason}
                            for m in change.malformed[:MAX_REPORTED_MALFORMED]]
        for bad_line in change.malformed:
            log.warning("MEMORY.md %s line %d not applied (%s): %r", target.path, bad_line.line,
                        bad_line.reason, scrub(bad_line.content))
        if change.problem:
            log.warning("MEMORY.md %s: %s", target.path, change.problem)
        failures = target.edit_failures
        for edit in change.edits:
            self._apply(target, edit, offline=offline)
        target.sync.remember_read()
        if target.edit_failures > failures or change.malformed:
            self._keep_copy(target, "unapplied")  # the next render drops those lines: never without a copy
        self._poke(target.regen, self._clock())

    def _apply(self, target: MdTarget, edit: Edit, *, offline: bool = False) -> None:
        # A secret typed into the file is redacted on its way in; the next render replaces the line.
        text = scrub(edit.new_text) if edit.new_text is not None else None
        provenance = {"last_edit": OFFLINE_EDIT if offline else "MEMORY.md"}
        try:
            if edit.op == "add":
                self.store.add(text, metadata={**EDIT_SOURCE, **provenance}, infer=False, **target.scope)
            else:
                memory_id = target.short_ids.get(edit.short_id or "")
                if memory_id is None:
                    raise LookupError(f"no memory behind id marker {edit.short_id}")
                if edit.op == "update":
                    self.store.update(memory_id, text=text, metadata=provenance)
                else:
                    self.store.delete(memory_id)
            target.edits_applied += 1
            log.info("MEMORY.md %s: applied hand edit %s %s", target.path, edit.op, edit.short_id or "")
        except Exception as exc:  # one bad edit must not block the others
            target.edit_failures += 1
            log.warning("MEMORY.md %s: hand edit %s %s failed: %s", target.path, edit.op, edit.short_id or "", exc)
