"""Watching the transcript folders: filesystem events, debounced per file, plus a rescan.

A watchdog ``Observer`` reports changes under each source root; a changed file
is scanned once its debounce delay has passed since the first unhandled event,
so a burst of appends becomes one scan. A periodic rescan re-reads the source
list (a root created after start is picked up), scans every matching file and
every file seen before (to notice deletions): the safety net for missed events.
All scans run on the watcher's one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sidecar.learn.watch.sources import Source, matches

log = logging.getLogger("sidecar.ingest")

ScanFn = Callable[[Path, str], Any]


class _Forward(FileSystemEventHandler):
    def __init__(self, watcher: TranscriptWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self._watcher.touch(Path(str(path)))


def source_for(sources: Iterable[Source], path: Path) -> Source | None:
    """The first source ``path`` belongs to, or None."""
    return next((s for s in sources if matches(s, path)), None)


class TranscriptWatcher:
    """Calls ``scan(path, agent)`` for transcripts that changed; see the module docstring."""

    def __init__(self, sources: Callable[[], list[Source]], scan: ScanFn, *, known_files: Callable[[], list[tuple[str, str]]],
                 debounce_s: float = 0.3, rescan_s: float = 30.0) -> None:
        self._list_sources = sources
        self._scan = scan
        self._known_files = known_files
        self.debounce_s = debounce_s
        self.rescan_s = rescan_s
        self.sources: list[Source] = []
        self._watched: set[Path] = set()
        self._due: dict[Path, tuple[float, str]] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._next_rescan = 0.0
        self._observer = Observer()
        self._handler = _Forward(self)
        self._thread = threading.Thread(target=self._loop, name="transcript-watcher", daemon=True)
        self.scans = 0
        self.rescans = 0

    def start(self) -> None:
        """Start watching; the first rescan (a backfill of existing files) runs at once, in the thread."""
        self._observer.start()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._observer.stop()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._observer.is_alive():  # never started when the daemon failed to start
            self._observer.join(timeout)

    def touch(self, path: Path) -> None:
        """A filesystem event for ``path``: scan it after the debounce delay."""
        source = source_for(self.sources, path)
        if source is None:
            return
        with self._cond:
            if path not in self._due:
                self._due[path] = (time.monotonic() + self.debounce_s, source.agent)
                self._cond.notify_all()

    def request_rescan(self) -> None:
        with self._cond:
            self._next_rescan = 0.0
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    now = time.monotonic()
                    ready = [p for p, (at, _) in self._due.items() if at <= now]
                    if ready or now >= self._next_rescan:
                        break
                    wake_at = min([self._next_rescan, *(at for at, _ in self._due.values())])
                    self._cond.wait(max(0.01, wake_at - now))
                if self._stopping:
                    return
                batch = [(p, self._due.pop(p)[1]) for p in ready]
                rescan = time.monotonic() >= self._next_rescan
            for path, agent in batch:
                self._safe_scan(path, agent)
            if rescan:
                self._rescan()
                self._next_rescan = time.monotonic() + self.rescan_s

    def _safe_scan(self, path: Path, agent: str) -> None:
        try:
            self._scan(path, agent)
            self.scans += 1
        except Exception:  # one unreadable file must not stop the watcher
            log.exception("scanning %s failed", path)

    def _rescan(self) -> None:
        self.rescans += 1
        try:
            self.sources = self._list_sources()
        except Exception:
            log.exception("listing transcript sources failed")
        for source in self.sources:
            if source.root not in self._watched and source.root.is_dir():
                try:
                    self._observer.schedule(self._handler, str(source.root), recursive=True)
                    self._watched.add(source.root)
                except OSError as exc:  # e.g. the inotify watch limit; the rescan still covers it
                    log.warning("cannot watch %s (%s); relying on the periodic rescan", source.root, exc)
        seen: set[Path] = set()
        for source in self.sources:
            for pattern in source.patterns:
                for path in sorted(source.root.glob(pattern)):
                    if path not in seen and path.is_file() and matches(source, path):
                        seen.add(path)
                        self._safe_scan(path, source.agent)
        for path_text, agent in self._known_files():
            path = Path(path_text)
            if path not in seen and not path.exists():
                self._safe_scan(path, agent)  # records the deletion
