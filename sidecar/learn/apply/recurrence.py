"""Evidence across sessions: a statement the user makes again in another session is a standing fact.

One mention of "run the linter before you commit" may be about today's task;
the same words in three sessions of a project are how that project works. The
gate records what it turned down (short user statements that were not
questions, secrets or hypotheticals) per user and project; when a near copy
arrives from another session, enough distinct sessions turn it into a fact.
Statements with ticket numbers or ids never count: "work on ENG-12" and "work
on ENG-13" are two one-off tasks, not one habit.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sidecar.sqlite_files import open_shared

SIMILAR_MIN = 0.9  # MiniLM cosine of two phrasings of the same statement; distinct facts sit below ~0.85
SESSIONS_FOR_FACT = 2
SESSIONS_FOR_REQUEST = 3  # a request repeated in three sessions is a habit of the project
MAX_WORDS = 30
KEEP_PER_SCOPE = 2000
NEVER_RECURRING = ("question", "secret", "hypothetical", "assistant_hypothesis", "small_talk")
_IDENTIFIER = re.compile(r"[#@]\w|\b[A-Za-z]*\d[\w-]*\b|https?://")

Embed = Callable[[Sequence[str]], np.ndarray]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS statements (user_id TEXT NOT NULL, project TEXT NOT NULL,
    session_id TEXT NOT NULL, text TEXT NOT NULL, vector BLOB, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS by_scope ON statements (user_id, project);
"""


class RecurrenceLog:
    """Statements the gate turned down, per (user, project), with the sessions they came from."""

    def __init__(self, path: Path, embed: Embed | None) -> None:
        self._db = open_shared(path, _SCHEMA)
        self._embed = embed
        self._lock = threading.Lock()

    @staticmethod
    def eligible(text: str, kind: str) -> bool:
        """Whether a turned-down statement can recur into a fact at all."""
        words = text.split()
        return (kind not in NEVER_RECURRING and 3 <= len(words) <= MAX_WORDS and "?" not in text
                and not _IDENTIFIER.search(text))

    def sessions_saying(self, text: str, *, user_id: str, project: str | None, session_id: str) -> int:
        """Record ``text`` from ``session_id``; the number of distinct sessions that said it, this one included."""
        vector = self._vector(text)
        key = project or ""
        with self._lock:
            rows = self._db.execute(
                "SELECT session_id, text, vector FROM statements WHERE user_id = ? AND project = ?",
                (user_id, key)).fetchall()
            sessions = {session_id}
            for other_session, other_text, blob in rows:
                if other_session not in sessions and self._same(text, vector, other_text, blob):
                    sessions.add(other_session)
            self._db.execute("INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?)",
                             (user_id, key, session_id, text, None if vector is None else vector.tobytes(),
                              time.time()))
            if len(rows) >= KEEP_PER_SCOPE:
                self._db.execute(
                    "DELETE FROM statements WHERE rowid IN (SELECT rowid FROM statements WHERE user_id = ? AND "
                    "project = ? ORDER BY created LIMIT ?)", (user_id, key, len(rows) + 1 - KEEP_PER_SCOPE))
        return len(sessions)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _vector(self, text: str) -> np.ndarray | None:
        if self._embed is None:
            return None
        vector = np.asarray(self._embed([text])[0], dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    @staticmethod
    def _same(text: str, vector: np.ndarray | None, other_text: str, blob: bytes | None) -> bool:
        if vector is None or blob is None:
            return " ".join(text.lower().split()) == " ".join(other_text.lower().split())
        return float(np.frombuffer(blob, dtype=np.float32) @ vector) >= SIMILAR_MIN
