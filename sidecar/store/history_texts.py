"""Rewriting the texts mem0's history database keeps (for the secret scrub).

mem0's SQLite history keeps every version of a memory (``old_memory`` and
``new_memory`` of each ADD/UPDATE/DELETE row), and its ``messages`` table the
messages of its own inferring ``add``. Updating a memory through mem0 adds a row
but leaves the old text in the earlier rows, so a scrub rewrites them here.
Only :mod:`sidecar.store.mem0_adapter` calls this, with mem0's own connection
held under mem0's lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# (table, key column, text columns) that hold memory or message text.
TEXT_COLUMNS = (("history", "id", ("old_memory", "new_memory")), ("messages", "id", ("content",)))


def rewrite_texts(conn: sqlite3.Connection, rewrite: Callable[[str], str], *, dry_run: bool = False) -> int:
    """Apply ``rewrite`` to every text column; returns the rows that changed (or would, with ``dry_run``).

    Freed bytes are overwritten (``secure_delete``), so the old text does not linger in the file.
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    changes: list[tuple[str, str, tuple[str, ...], tuple[str | None, ...], object]] = []
    for table, key, columns in TEXT_COLUMNS:
        if table not in tables:
            continue
        for row in conn.execute(f"SELECT {key}, {', '.join(columns)} FROM {table}"):
            old = row[1:]
            new = tuple(rewrite(value) if isinstance(value, str) else value for value in old)
            if new != old:
                changes.append((table, key, columns, new, row[0]))
    if dry_run or not changes:
        return len(changes)
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, key, columns, values, row_id in changes:
            assignments = ", ".join(f"{column} = ?" for column in columns)
            conn.execute(f"UPDATE {table} SET {assignments} WHERE {key} = ?", (*values, row_id))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(changes)
