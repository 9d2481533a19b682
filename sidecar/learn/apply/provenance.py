"""Why a memory exists or changed: one row per store write the gate applied.

mem0's history keeps only old and new text. This table keeps where the write
came from (transcript file and line, agent, session, or the API) and the
judge's verdict behind it (kind, reasons, score, backend), so ``history`` can
show the reason next to each change. No utterance text is kept here.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sidecar.sqlite_files import open_shared

_SCHEMA = """
CREATE TABLE IF NOT EXISTS provenance (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_id TEXT NOT NULL,
    op TEXT NOT NULL,
    source TEXT,
    line INTEGER,
    agent TEXT,
    session TEXT,
    kind TEXT,
    reasons TEXT NOT NULL DEFAULT '{}',
    score REAL,
    backend TEXT,
    decision TEXT,
    job_key TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS provenance_memory ON provenance (memory_id, seq);
CREATE INDEX IF NOT EXISTS provenance_job ON provenance (job_key);
"""


@dataclass(frozen=True)
class ProvenanceRow:
    """One applied write and the reasons for it."""

    memory_id: str
    op: str
    source: str | None = None
    line: int | None = None
    agent: str | None = None
    session: str | None = None
    kind: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    score: float | None = None
    backend: str | None = None
    decision: str | None = None
    job_key: str | None = None
    at: float = 0.0


class ProvenanceLog:
    """SQLite table of :class:`ProvenanceRow`; thread-safe."""

    def __init__(self, path: Path) -> None:
        self._db = open_shared(path, _SCHEMA)
        self._lock = threading.Lock()

    def record(self, row: ProvenanceRow) -> None:
        """Append ``row`` (``at`` defaults to now)."""
        values = asdict(row)
        values["reasons"] = json.dumps(dict(row.reasons))
        values["at"] = row.at or time.time()
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        with self._lock:
            self._db.execute(f"INSERT INTO provenance ({columns}) VALUES ({marks})", tuple(values.values()))

    def applied(self, job_key: str) -> bool:
        """Whether a queued job with ``job_key`` already changed the store (its utterance was learned)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM provenance WHERE job_key=? LIMIT 1", (job_key,)).fetchone() is not None

    def rows_for(self, memory_id: str) -> list[dict[str, Any]]:
        """Every row of ``memory_id``, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM provenance WHERE memory_id=? ORDER BY seq",
                                    (memory_id,)).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["reasons"] = json.loads(item["reasons"] or "{}")
            item.pop("seq")
            out.append(item)
        return out

    def enrich_history(self, memory_id: str, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """mem0's history entries, each with ``provenance`` from the row of the same op, in order.

        The n-th ADD/UPDATE/DELETE entry of a memory gets the n-th provenance row
        of that op; entries without a matching row (writes that bypassed the gate)
        get ``provenance = None``. mem0's own fields are left as they were.
        """
        by_op: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows_for(memory_id):
            by_op.setdefault(row["op"], []).append(row)
        enriched = []
        for entry in history:
            event = str(entry.get("event", "")).upper()
            rows = by_op.get(event)
            enriched.append({**entry, "provenance": rows.pop(0) if rows else None})
        return enriched

    def close(self) -> None:
        with self._lock:
            self._db.close()
