"""The MEMORY.md sync service: keeps each MEMORY.md's managed section in step
with the store, and hand edits of it in step with the store.

One file per user (``[context] memory_md`` for the configured user, else
``<data_dir>/memory/<name>/MEMORY.md``, one ``<name>`` per user id: see
:mod:`sidecar.context.md_paths`) plus optional per-project files
(``[context] project_dirs``: a folder path, or a table ``{path, user_id,
agent_id}`` naming the scope; a bare path uses the configured user's scope).

Store writes poke a per-file debouncer; a background thread re-renders once
the burst is over. The same thread polls each file's ``stat`` (cheap, and
portable to any filesystem); what is due is done by
:class:`~sidecar.context.md_work.MdTargetWork` (render one file, or read its
hand edits through :class:`MemoryMdSync` into the store so mem0's history
records them). The sync's own writes produce no edits, so nothing loops. The last version written or read is
kept in the data folder (:mod:`sidecar.context.md_state`), so edits made while
the daemon was stopped are applied at the next start, before any re-render.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sidecar.config.settings import Settings
from sidecar.context.md_paths import adopt_legacy_folder, memory_root, project_targets, user_file
from sidecar.context.md_state import state_file
from sidecar.context.md_target import MdTarget, TargetConflict, stat_key, touches
from sidecar.context.md_work import MdTargetWork
from sidecar.context.memory_md_edits import Debouncer, MemoryMdSync, read_text_exact
from sidecar.store.memory_store import MemoryStore, StoreChange
from sidecar_shared.paths import ensure_private_dir

log = logging.getLogger("sidecar.context.md_sync")

DEFAULT_MAX_DELAY_S = 3.0
POLL_S = 0.2
__all__ = ["MdTarget", "MemoryMdService", "TargetConflict", "project_targets", "user_file"]


class MemoryMdService:
    """Owns every synced MEMORY.md; see the module docstring."""

    def __init__(self, store: MemoryStore, settings: Settings, *, max_delay: float = DEFAULT_MAX_DELAY_S, poll: float = POLL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.settings = settings
        self.delay = settings.context.md_debounce_s
        self.max_delay = max(max_delay, self.delay)
        self.poll = poll
        self._clock = clock
        self._targets: dict[Path, MdTarget] = {}
        self._users: dict[str, MdTarget] = {}
        self._lock = threading.Lock()
        self._events = threading.Lock()  # debouncers are poked from worker threads
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._work = MdTargetWork(store, self._poke, clock, self.delay)

    # -- targets ------------------------------------------------------------------

    def _add_target(self, path: Path, scope: dict[str, str]) -> MdTarget:
        with self._lock:
            target = self._targets.get(path)
            if target is not None and target.scope != scope:
                raise TargetConflict(f"{path} already mirrors scope {target.scope}; not also {scope}")
            if target is None:
                sync = MemoryMdSync(path, state_path=state_file(self.settings.paths.data_dir, path))
                target = MdTarget(path, scope, sync, Debouncer(self.delay, max_delay=self.max_delay),
                                  Debouncer(self.delay, max_delay=self.max_delay))
                self._targets[path] = target
            return target

    def user_target(self, user_id: str, *, render_now: bool = True) -> MdTarget:
        """The target of ``user_id``'s MEMORY.md, created (and first rendered) on demand."""
        target = self._users.get(user_id)
        if target is not None:
            return target
        path = user_file(self.settings, user_id)
        if path.parent.parent == memory_root(self.settings):
            with self._lock:
                if path not in self._targets:
                    adopt_legacy_folder(self.settings, user_id, list(self._targets))
            for folder in (path.parent.parent, path.parent):  # earlier versions made them 0755
                ensure_private_dir(folder)
        target = self._add_target(path, {"user_id": user_id})
        if render_now:
            self._first_render(target)
        self._users[user_id] = target
        return target

    def _first_render(self, target: MdTarget) -> None:
        with target.lock:
            self._work.regenerate(target)

    def text_of(self, user_id: str) -> str:
        """The current text of ``user_id``'s MEMORY.md ("" when missing)."""
        return read_text_exact(self.user_target(user_id).path) or ""

    def version_of(self, user_id: str) -> str:
        """Changes whenever the file does (our write or a noticed hand edit); no IO."""
        target = self.user_target(user_id)
        return f"{target.path}#{target.generation}"

    def flush(self, user_id: str) -> None:
        """Render ``user_id``'s file now if a store change is waiting for its debounce.

        ``context`` calls it first, so a memory added a moment ago is in the Direct block.
        """
        target = self.user_target(user_id)
        if self._due(target.regen, self._clock(), True):
            with target.lock:
                self._work.regenerate(target)

    def stamps_of(self, user_id: str) -> dict[str, str]:
        """Short id -> when the memory was learned or changed and where from, as last rendered."""
        return dict(self.user_target(user_id).stamps)

    # -- events ---------------------------------------------------------------------

    def on_store_change(self, change: StoreChange) -> None:
        """Store observer: schedule a re-render of every file the change can reach."""
        now = self._clock()
        user = change.scope.get("user_id")
        if user and user not in self._users:
            self.user_target(user, render_now=False)
        for target in list(self._targets.values()):
            if touches(change.scope, target.scope):
                self._poke(target.regen, now)

    def _poke(self, debouncer: Debouncer, now: float) -> None:
        with self._events:
            debouncer.poke(now)

    def _due(self, debouncer: Debouncer, now: float, force: bool) -> bool:
        with self._events:
            if force and debouncer.pending:
                debouncer.due(float("inf"))
                return True
            return debouncer.due(now)

    def start(self) -> None:
        """Render the configured files, subscribe to the store, start the thread."""
        for path, scope in project_targets(self.settings):
            try:
                self._first_render(self._add_target(path, scope))
            except TargetConflict as exc:
                log.error("MEMORY.md not synced: %s", exc)
        try:
            self.user_target(self.settings.user_id)
        except TargetConflict as exc:
            log.error("MEMORY.md of the configured user not synced: %s", exc)
        self.store.subscribe(self.on_store_change)
        self._thread = threading.Thread(target=self._run, name="memory-md-sync", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (pending debounced work is done first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.tick(force=True)

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.tick()
            except Exception:  # the sync thread must outlive any one bad file
                log.exception("MEMORY.md sync pass failed")

    def tick(self, *, force: bool = False) -> None:
        """One pass: notice file changes, apply due hand edits, re-render due files."""
        now = self._clock()
        for target in list(self._targets.values()):
            key = stat_key(target.path)
            if key != target.stat:
                target.stat = key
                target.generation += 1
                self._poke(target.file_events, now)
            if self._due(target.file_events, now, force):
                with target.lock:
                    self._work.read_hand_edits(target)
            if self._due(target.regen, now, force):
                with target.lock:
                    self._work.regenerate(target)

    # -- status ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Per-file sync state, for the daemon's ``status``."""
        return {"files": [t.status() for t in list(self._targets.values())]}
