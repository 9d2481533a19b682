"""Short-term memory: per-session message history with a rolling summary.

Each session is one JSON file. When the history grows past ``max_history``,
the older half is folded (with the previous summary) into
``compressed_context`` by an injected :class:`Summariser`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sidecar_shared.files import write_atomic
from sidecar.context.summarize import Summariser

log = logging.getLogger(__name__)

MAX_HISTORY = 20
SESSION_SUFFIX = ".session.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Introduces the rolling summary wherever it is handed to a model (here and in the context hub).
SUMMARY_HEADING = "Summary of the earlier conversation in this session:"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class Session:
    """One session's state as stored on disk."""

    session_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    compressed_context: str = ""
    folds: int = 0
    failed_folds: int = 0
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session from its JSON form (unknown keys are ignored)."""
        return cls(
            session_id=str(data["session_id"]),
            messages=[dict(m) for m in data.get("messages", [])],
            compressed_context=str(data.get("compressed_context", "")),
            folds=int(data.get("folds", 0)),
            failed_folds=int(data.get("failed_folds", 0)),
            created_at=str(data.get("created_at") or _now()),
            updated_at=str(data.get("updated_at") or _now()),
        )


def session_file_name(session_id: str) -> str:
    """A file name safe on every platform, unique per id (a hash suffix keeps
    ids that differ only in unsafe characters apart)."""
    slug = _UNSAFE.sub("_", session_id).strip("._")[:64] or "session"
    digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}{SESSION_SUFFIX}"


class SessionManager:
    """Loads, updates and folds sessions stored under ``root``; thread-safe."""

    def __init__(self, root: Path | str, summariser: Summariser, max_history: int = MAX_HISTORY) -> None:
        if max_history < 2:
            raise ValueError("max_history must be at least 2")
        self.root = Path(root)
        self.summariser = summariser
        self.max_history = max_history
        self._lock = threading.RLock()

    def path_for(self, session_id: str) -> Path:
        """The JSON file holding ``session_id``."""
        return self.root / session_file_name(session_id)

    def load(self, session_id: str) -> Session:
        """The stored session, or a new empty one. An unreadable file is moved
        aside (``.corrupt``) rather than overwritten, so nothing is destroyed."""
        path = self.path_for(session_id)
        with self._lock:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                session = Session.from_dict(data)
                if session.session_id == session_id:
                    return session
                raise ValueError("session id in file does not match")
            except FileNotFoundError:
                return Session(session_id)
            except (ValueError, KeyError, TypeError, AttributeError):
                log.exception("session file %s unreadable; moving it aside", path)
                path.replace(path.with_name(f"{path.name}.{datetime.now().strftime('%Y%m%d%H%M%S')}.corrupt"))
                return Session(session_id)

    def save(self, session: Session) -> None:
        """Write ``session`` atomically."""
        session.updated_at = _now()
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomic(
                self.path_for(session.session_id),
                json.dumps(asdict(session), ensure_ascii=False, indent=1),
                new_file_mode=0o600,
            )

    def add_message(self, session_id: str, role: str, content: str) -> Session:
        """Append a message, folding old history when it exceeds ``max_history``."""
        if not role:
            raise ValueError("role must be non-empty")
        with self._lock:
            session = self.load(session_id)
            session.messages.append({"role": role, "content": content, "created_at": _now()})
            if len(session.messages) > self.max_history:
                self._fold(session)
            self.save(session)
            return session

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

    def get_messages_for_llm(self, session_id: str) -> list[dict[str, str]]:
        """The summary (if any) as a leading system message, then the recent messages."""
        session = self.load(session_id)
        out: list[dict[str, str]] = []
        if session.compressed_context.strip():
            out.append({"role": "system", "content": f"{SUMMARY_HEADING}\n{session.compressed_context}"})
        out += [{"role": str(m["role"]), "content": str(m["content"])} for m in session.messages]
        return out

    def list_sessions(self) -> list[str]:
        """Ids of all stored sessions, most recently updated first."""
        found: list[tuple[str, str]] = []
        with self._lock:
            for path in self.root.glob(f"*{SESSION_SUFFIX}"):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    found.append((str(data.get("updated_at", "")), str(data["session_id"])))
                except (OSError, ValueError, KeyError, TypeError, AttributeError):
                    log.warning("skipping unreadable session file %s", path)
        return [sid for _, sid in sorted(found, reverse=True)]

    def clear(self, session_id: str) -> bool:
        """Delete a session; True if it existed."""
        with self._lock:
            try:
                self.path_for(session_id).unlink()
                return True
            except FileNotFoundError:
                return False
