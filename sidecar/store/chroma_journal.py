"""Chroma's SQLite file in write-ahead-log mode, set before Chroma opens it.

Chroma's Rust bindings keep the GIL while a write runs, and in SQLite's default
rollback-journal mode one ``Collection.add`` waits for three fsyncs (~40 ms on a
shared disk): for all that time no other thread of the daemon runs Python, so a
search during another user's burst of writes waits behind every write. In WAL mode a
commit is one append and one fsync (~4-10 ms), as durable, and readers never wait
for a writer's lock. The mode is stored in the database file, so it is set once,
with our own SQLite, before Chroma's copy of SQLite opens the file (two copies of
SQLite must never have one file open together, see :mod:`sidecar.store.chroma_log`);
for a new store an empty database in WAL mode is created for Chroma to fill.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sidecar.config.settings import Settings

log = logging.getLogger("sidecar.store.chroma_journal")

DATABASE = "chroma.sqlite3"


def use_wal(chroma_dir: Path) -> bool:
    """Put ``chroma_dir``'s database in WAL mode (creating an empty one if needed); True if it now is.

    Call only while no Chroma client has the folder open. A failure is logged and
    leaves the file as it was: Chroma then works in its own mode, only slower.
    """
    database = Path(chroma_dir) / DATABASE
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(database), timeout=30.0, isolation_level=None)
        try:
            mode = was = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode != "wal":
                mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
                log.info("Chroma's database %s is in %s mode now (was %s)", database, mode, was)
            if mode == "wal":
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # start from an empty log: nothing old lingers
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        log.debug("could not put Chroma's database in WAL mode (%s); writes stay slower", exc)  # Chroma reports a damaged file
        return False
    return mode == "wal"


def use_wal_for(settings: Settings) -> bool | None:
    """:func:`use_wal` for the store's Chroma folder; None when the store is not an embedded Chroma."""
    from sidecar.store.mem0_config import build_mem0_config

    vector_store = build_mem0_config(settings)[0].get("vector_store") or {}
    path = (vector_store.get("config") or {}).get("path") if vector_store.get("provider") == "chroma" else None
    return use_wal(Path(path)) if path else None
