"""mem0's history in PostgreSQL: the interface of mem0's ``SQLiteManager``, shared by every daemon.

mem0 2.2.1 keeps history only in a local SQLite file (``history_db_path``); with
several daemons on one server each would keep its own, so the server backend
puts this object in its place (:class:`sidecar.store.mem0_adapter.Mem0Adapter`
takes it) and the rows live in ``sidecar_history`` beside the vectors.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from sidecar.store.pg.schema import HISTORY

_COLUMNS = ("id", "memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at", "is_deleted",
            "actor_id", "role")


class PgHistory:
    """History rows of memories (oldest first); session messages (mem0's ``infer`` path) stay in memory."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def add_history(self, memory_id: str, old_memory: str | None, new_memory: str | None, event: str,
                    **columns: Any) -> None:
        self.batch_add_history([{"memory_id": memory_id, "old_memory": old_memory, "new_memory": new_memory,
                                 "event": event, **columns}])

    def batch_add_history(self, records: list[dict[str, Any]]) -> None:
        """Insert ``records`` in one transaction."""
        rows = [(str(uuid.uuid4()), r.get("memory_id"), r.get("old_memory"), r.get("new_memory"), r.get("event"),
                 _text(r.get("created_at")), _text(r.get("updated_at")), int(r.get("is_deleted", 0) or 0),
                 r.get("actor_id"), r.get("role")) for r in records]
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {HISTORY} ({', '.join(_COLUMNS)}) VALUES "
                            f"({', '.join(['%s'] * len(_COLUMNS))})", rows)

    def get_history(self, memory_id: str) -> list[dict[str, Any]]:
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM {HISTORY} WHERE memory_id = %s "
                                "ORDER BY created_at ASC, updated_at ASC NULLS FIRST, seq ASC", (memory_id,)).fetchall()
        return [{**dict(zip(_COLUMNS, row)), "is_deleted": bool(row[7])} for row in rows]

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """Memory ids with history rows that start with ``prefix`` (deleted memories included)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT DISTINCT memory_id FROM {HISTORY} WHERE memory_id LIKE %s",
                                (pattern,)).fetchall()
        return sorted(str(row[0]) for row in rows if str(row[0]).startswith(prefix))

    def count(self) -> int:
        with self._pool.connection() as conn:
            return int(conn.execute(f"SELECT count(*) FROM {HISTORY}").fetchone()[0])

    def save_messages(self, messages: list[dict[str, Any]], session_scope: str) -> None:
        with self._lock:
            kept = self._messages.setdefault(session_scope, [])
            kept.extend(messages)
            del kept[:-10]

    def get_last_messages(self, session_scope: str, limit: int = 10) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages.get(session_scope, []))[-limit:]

    def rewrite_texts(self, rewrite: Callable[[str], str], *, dry_run: bool = False) -> int:
        """Apply ``rewrite`` to every old/new text; rows changed (the secret scrub)."""
        changed = 0
        with self._pool.connection() as conn, conn.transaction():
            for row_id, old, new in conn.execute(f"SELECT id, old_memory, new_memory FROM {HISTORY}").fetchall():
                fresh = (rewrite(old) if old else old, rewrite(new) if new else new)
                if fresh != (old, new):
                    changed += 1
                    if not dry_run:
                        conn.execute(f"UPDATE {HISTORY} SET old_memory = %s, new_memory = %s WHERE id = %s",
                                     (*fresh, row_id))
        return changed

    def reset(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(f"DELETE FROM {HISTORY}")

    def close(self) -> None:
        """The pool belongs to the backend, which closes it."""


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
