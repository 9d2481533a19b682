"""Scrubbing Chroma's write-ahead log, at daemon start, after a secret scrub asked for it.

Chroma keeps every write (with the memory's text in its metadata) in the
``embeddings_queue`` table of ``chroma.sqlite3`` until its vector index is next
persisted, which can take a thousand writes. Updating a memory through mem0 adds
an entry; the old ones, with the old text, stay. Chroma runs its own copy of
SQLite inside the process, and two copies of SQLite must never share a file
while both are open (their POSIX locks do not see each other), so the old
entries are rewritten only before Chroma opens: the scrub leaves a marker
(:func:`request`), the next start finds it (:func:`scrub_if_requested`).
Entries are rewritten in place, never removed: the vector index may still need
them to replay its vectors. The file is then vacuumed, because Chroma's own
updates may have left the old texts in the free space of its pages.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("sidecar.store.chroma_log")

MARKER = "chroma-log-scrub.pending"
DATABASE = "chroma.sqlite3"


def request(store_dir: Path, reason: str) -> Path:
    """Ask the next daemon start to scrub Chroma's log; returns the marker's path."""
    marker = Path(store_dir) / MARKER
    marker.write_text(json.dumps({"requested_at": time.time(), "reason": reason}) + "\n", encoding="utf-8")
    return marker


def requested(store_dir: Path) -> bool:
    """True while a scrub of Chroma's log waits for the next start."""
    return (Path(store_dir) / MARKER).exists()


def scrub_if_requested(store_dir: Path, chroma_dir: Path | None, rewrite: Callable[[str], str]) -> int | None:
    """Rewrite Chroma's log with ``rewrite`` if a scrub asked for it; entries changed, or None if not asked.

    Call only while no Chroma client is open in this process. A failure is logged and the
    marker kept, so the next start tries again; the daemon starts either way.
    """
    marker = Path(store_dir) / MARKER
    if not marker.exists():
        return None
    database = Path(chroma_dir) / DATABASE if chroma_dir is not None else None
    if database is None or not database.exists():
        marker.unlink(missing_ok=True)
        return 0
    log.info("a secret scrub asked for Chroma's log to be rewritten: doing it now, before the store opens")
    try:
        changed = rewrite_log(database, rewrite)
    except sqlite3.Error as exc:
        log.warning("scrubbing Chroma's log failed (%s); the next start tries again", exc)
        return None
    marker.unlink(missing_ok=True)
    log.info("scrubbed secrets from %d entries of Chroma's log", changed)
    return changed


def rewrite_log(database: Path, rewrite: Callable[[str], str]) -> int:
    """Apply ``rewrite`` to every string in the metadata of the log's entries, then vacuum; entries changed."""
    conn = sqlite3.connect(str(database), timeout=30.0, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")  # overwritten text is zeroed, not left in free pages
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "embeddings_queue" not in tables:
            return 0
        conn.execute("BEGIN IMMEDIATE")
        changed = 0
        try:
            rows = conn.execute("SELECT rowid, metadata FROM embeddings_queue WHERE metadata IS NOT NULL").fetchall()
            for rowid, text in rows:
                new = _rewritten(text, rewrite)
                if new is not None:
                    conn.execute("UPDATE embeddings_queue SET metadata = ? WHERE rowid = ?", (new, rowid))
                    changed += 1
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        # Chroma's own updates may have left old texts in free space of its pages: rebuild the file.
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the old pages also sit in the -wal file
        return changed
    finally:
        conn.close()


def _rewritten(text: Any, rewrite: Callable[[str], str]) -> str | None:
    """The entry's metadata JSON with every string rewritten, or None when nothing changed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        new_text = rewrite(text)
        return new_text if new_text != text else None
    new = _walk(data, rewrite)
    return json.dumps(new, ensure_ascii=False) if new != data else None


def _walk(value: Any, rewrite: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, dict):
        return {key: _walk(item, rewrite) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, rewrite) for item in value]
    return value
