"""Where sessions live on disk: one JSON file per (user id, session id), and the files of older versions.

Layout under the sessions folder::

    users/<path_name(user_id)>/<slug>-<hash of the session id>.session.json   (this version)
    <slug>-<hash of the session id>.session.json                             (older versions)

The user folder name is the injective id → path mapping of
:mod:`sidecar_shared.id_paths`, so two user ids never share a folder and one
user's session id never reaches another user's file. Each file also records
its ``user_id`` and ``session_id``; a file whose record disagrees with where it
lies is treated as unreadable.

Older versions keyed sessions by session id only and recorded no user. Such a
file belongs to the user it records, if any, else to the daemon's default user
(``legacy_owner``); it is moved into its owner's folder the first time that
owner uses the session (or lists their sessions), and no other user ever sees it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sidecar_shared.files import write_atomic
from sidecar_shared.id_paths import path_name
from sidecar_shared.paths import ensure_private_dir

log = logging.getLogger(__name__)

SESSION_SUFFIX = ".session.json"
USERS_FOLDER = "users"  # never ends in SESSION_SUFFIX, so it cannot be taken for an old-version file
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class Session:
    """One session's state as stored on disk; ``user_id`` is empty only in files of older versions."""

    session_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    compressed_context: str = ""
    folds: int = 0
    failed_folds: int = 0
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    user_id: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session from its JSON form (unknown keys are ignored)."""
        return cls(
            session_id=str(data["session_id"]),
            messages=[dict(m) for m in data.get("messages", [])],
            compressed_context=str(data.get("compressed_context", "")),
            folds=int(data.get("folds", 0)),
            failed_folds=int(data.get("failed_folds", 0)),
            created_at=str(data.get("created_at") or now()),
            updated_at=str(data.get("updated_at") or now()),
            user_id=str(data.get("user_id") or ""),
        )


class SessionMismatch(ValueError):
    """A session file records another user or session than the one it was read for."""


def session_file_name(session_id: str) -> str:
    """A file name safe on every platform, unique per id (a hash suffix keeps
    ids that differ only in unsafe characters apart)."""
    slug = _UNSAFE.sub("_", session_id).strip("._")[:64] or "session"
    digest = hashlib.sha256(session_id.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}{SESSION_SUFFIX}"


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (FileNotFoundError when missing, ValueError when not an object)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("a session file holds one JSON object")
    return data


def move_aside(path: Path) -> None:
    """Keep an unreadable file next to where it was (``.corrupt``) instead of overwriting it."""
    log.error("session file %s unreadable; moving it aside", path)
    path.replace(path.with_name(f"{path.name}.{datetime.now().strftime('%Y%m%d%H%M%S')}.corrupt"))


class SessionFiles:
    """The file layout of the module docstring; callers hold the session lock."""

    def __init__(self, root: Path, legacy_owner: str | None) -> None:
        self.root = root
        self.legacy_owner = legacy_owner

    def user_dir(self, user_id: str) -> Path:
        return self.root / USERS_FOLDER / path_name(user_id)

    def path_for(self, user_id: str, session_id: str) -> Path:
        return self.user_dir(user_id) / session_file_name(session_id)

    def legacy_path(self, session_id: str) -> Path:
        return self.root / session_file_name(session_id)

    def write(self, session: Session, path: Path | None = None) -> None:
        """Write ``session`` atomically (to its own path unless ``path`` is given), folders 0700."""
        target = path or self.path_for(session.user_id, session.session_id)
        for folder in (self.root, self.root / USERS_FOLDER, target.parent):
            ensure_private_dir(folder)
        write_atomic(target, json.dumps(asdict(session), ensure_ascii=False, indent=1), private=True)

    def read(self, user_id: str, session_id: str) -> Session | None:
        """The session stored for this user, adopting an old-version file they own; None if there is none."""
        path = self.path_for(user_id, session_id)
        try:
            session = Session.from_dict(read_json(path))
            if (session.user_id, session.session_id) != (user_id, session_id):
                raise SessionMismatch("the file records another user or session")
            return session
        except FileNotFoundError:
            return self.adopt(user_id, session_id)
        except (ValueError, KeyError, TypeError, AttributeError):
            move_aside(path)
            return None

    def adopt(self, user_id: str, session_id: str) -> Session | None:
        """Move the old-version file of ``session_id`` into ``user_id``'s folder if that user owns it."""
        legacy = self.legacy_path(session_id)
        if not legacy.is_file():
            return None
        try:
            session = Session.from_dict(read_json(legacy))
            if session.session_id != session_id:
                raise SessionMismatch("the file records another session")
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, AttributeError):
            if user_id == self.legacy_owner:  # no one else can own a file that records nothing
                move_aside(legacy)
            return None
        if (session.user_id or self.legacy_owner) != user_id:
            return None
        target = self.path_for(user_id, session_id)
        if target.exists():  # an old version ran again after the move: never overwrite the newer file
            log.warning("session file %s left in place: %s already exists", legacy, target)
            return None
        recorded = bool(session.user_id)
        session.user_id = user_id
        # Record the owner in place first: a crash before the move leaves a file that still names its owner.
        self.write(session, legacy)
        ensure_private_dir(target.parent)
        legacy.replace(target)
        log.info("session file %s moved to %s (%s)", legacy.name, target.relative_to(self.root),
                 "the user it records" if recorded else "the default user, as it recorded no user")
        return session

    def adopt_all(self, user_id: str) -> None:
        """Adopt every old-version file ``user_id`` owns (before listing that user's sessions)."""
        for session_id, owner in self.legacy_files():
            if owner == user_id:
                self.adopt(user_id, session_id)

    def legacy_files(self) -> Iterator[tuple[str, str | None]]:
        """(session id, owner) of each readable old-version file; owner None when it has none."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob(f"*{SESSION_SUFFIX}")):
            try:
                data = read_json(path) if path.is_file() else None
                if data is None or path.name != session_file_name(str(data["session_id"])):
                    continue
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable session file %s", path)
                continue
            yield str(data["session_id"]), str(data.get("user_id") or "") or self.legacy_owner

    def stored(self, user_id: str) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Each readable file in ``user_id``'s folder that records this user, with its JSON."""
        folder = self.user_dir(user_id)
        if not folder.is_dir():
            return
        for path in folder.glob(f"*{SESSION_SUFFIX}"):
            try:
                data = read_json(path)
                if data.get("user_id") != user_id or path.name != session_file_name(str(data["session_id"])):
                    raise SessionMismatch("the file does not belong here")
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable session file %s", path)
                continue
            yield path, data

    def all_keys(self) -> list[tuple[str, str]]:
        """(user id, session id) of every stored session of every user, old-version files included."""
        keys = [(owner, session_id) for session_id, owner in self.legacy_files() if owner is not None]
        users = self.root / USERS_FOLDER
        for path in sorted(users.glob(f"*/*{SESSION_SUFFIX}")) if users.is_dir() else ():
            try:
                data = read_json(path)
                key = (str(data["user_id"]), str(data["session_id"]))
                if path != self.path_for(*key):
                    raise SessionMismatch("the file does not belong here")
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable session file %s", path)
                continue
            keys.append(key)
        return keys
