"""Short-term memory: per-session message history with a rolling summary.

A session belongs to one user: every call names the ``(user_id, session_id)``
pair, and one user's session id never reaches another user's session (the
file layout, and how files of older versions are carried over, are in
:mod:`sidecar.context.session_files`). When the history grows past
``max_history``, the older half is folded (with the previous summary) into
``compressed_context`` by an injected :class:`Summariser`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sidecar.context.session_files import SESSION_SUFFIX, Session, SessionFiles, now, session_file_name
from sidecar.context.summarize import Summariser
from sidecar.learn.secret_guard import scrub

__all__ = ["MAX_HISTORY", "SESSION_SUFFIX", "SUMMARY_HEADING", "Session", "SessionManager", "session_file_name"]

log = logging.getLogger(__name__)

MAX_HISTORY = 20
# Introduces the rolling summary wherever it is handed to a model (here and in the context hub).
SUMMARY_HEADING = "Summary of the earlier conversation in this session:"


class SessionManager:
    """Loads, updates and folds the sessions stored under ``root``; thread-safe.

    ``legacy_owner`` (the daemon's default user) adopts files of older versions
    that record no user; None leaves them to no one.
    """

    def __init__(self, root: Path | str, summariser: Summariser, max_history: int = MAX_HISTORY, *,
                 legacy_owner: str | None = None) -> None:
        if max_history < 2:
            raise ValueError("max_history must be at least 2")
        self.root = Path(root)
        self.summariser = summariser
        self.max_history = max_history
        self._files = SessionFiles(self.root, legacy_owner)
        self._lock = threading.RLock()

    def path_for(self, user_id: str, session_id: str) -> Path:
        """The JSON file holding ``user_id``'s session ``session_id``."""
        return self._files.path_for(user_id, session_id)

    def find(self, user_id: str, session_id: str) -> Session | None:
        """The stored session, or None when this user has none by that id. An unreadable
        file is moved aside (``.corrupt``) rather than overwritten, so nothing is destroyed."""
        with self._lock:
            return self._files.read(user_id, session_id)

    def load(self, user_id: str, session_id: str) -> Session:
        """The stored session, or a new empty one (not saved)."""
        return self.find(user_id, session_id) or Session(session_id, user_id=user_id)

    def save(self, session: Session) -> None:
        """Write ``session`` atomically into its user's folder."""
        if not session.user_id:
            raise ValueError("a session must name its user before it is saved")
        session.updated_at = now()
        with self._lock:
            self._files.write(session)

    def add_message(self, user_id: str, session_id: str, role: str, content: str) -> Session:
        """Append a message (secrets redacted), folding old history when it exceeds ``max_history``."""
        if not role:
            raise ValueError("role must be non-empty")
        with self._lock:
            session = self.load(user_id, session_id)
            session.messages.append({"role": role, "content": scrub(content), "created_at": now()})
            if len(session.messages) > self.max_history:
                self._fold(session)
            self.save(session)
            return session

    def rewrite(self, user_id: str, session_id: str, change: Callable[[Session], bool]) -> bool:
        """Let ``change`` edit the stored session in place; saved (and True) if it returns True."""
        with self._lock:
            session = self.load(user_id, session_id)
            if not change(session):
                return False
            self.save(session)
            return True

    def _fold(self, session: Session) -> None:
        count = len(session.messages) // 2
        old = session.messages[:count]
        try:
            summary = self.summariser.summarise(
                session.compressed_context, [{"role": m["role"], "content": m["content"]} for m in old]
            )
        except Exception:
            # Keep every message; the next add finds the history still too long and retries.
            session.failed_folds += 1
            log.warning("folding session %s failed; will retry", session.session_id, exc_info=True)
            return
        session.compressed_context = summary
        session.messages = session.messages[count:]
        session.folds += 1

    def get_messages_for_llm(self, user_id: str, session_id: str) -> list[dict[str, str]]:
        """The summary (if any) as a leading system message, then the recent messages."""
        session = self.load(user_id, session_id)
        out: list[dict[str, str]] = []
        if session.compressed_context.strip():
            out.append({"role": "system", "content": f"{SUMMARY_HEADING}\n{session.compressed_context}"})
        out += [{"role": str(m["role"]), "content": str(m["content"])} for m in session.messages]
        return out

    def sessions_of(self, user_id: str) -> list[Session]:
        """``user_id``'s stored sessions (and no one else's), most recently updated first."""
        found: list[Session] = []
        with self._lock:
            self._files.adopt_all(user_id)
            for path, data in self._files.stored(user_id):
                try:
                    found.append(Session.from_dict(data))
                except (ValueError, KeyError, TypeError, AttributeError):
                    log.warning("skipping unreadable session file %s", path)
        return sorted(found, key=lambda session: (session.updated_at, session.session_id), reverse=True)

    def list_sessions(self, user_id: str) -> list[str]:
        """Ids of ``user_id``'s stored sessions, most recently updated first."""
        return [session.session_id for session in self.sessions_of(user_id)]

    def all_sessions(self) -> list[tuple[str, str]]:
        """``(user_id, session_id)`` of every user's stored sessions: for maintenance (the secret scrub),
        never for an answer to a user."""
        with self._lock:
            return self._files.all_keys()

    def clear(self, user_id: str, session_id: str) -> bool:
        """Delete ``user_id``'s session; True if it existed."""
        with self._lock:
            if self._files.read(user_id, session_id) is None:
                return False
            self.path_for(user_id, session_id).unlink(missing_ok=True)
            return True
