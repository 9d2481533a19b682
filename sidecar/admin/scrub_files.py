"""The secret scrub's files: session files and MEMORY.md files.

Sessions are rewritten through :class:`SessionManager` (each message and the
rolling summary redacted). A session file that was moved aside as unreadable
(``*.corrupt``) is redacted as plain text. MEMORY.md files are only read here:
their managed section is re-rendered from the (scrubbed) store by the MEMORY.md
sync, and a secret outside the section is the user's own text, reported with
its line so they can remove it by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidecar.context.sessions import SESSION_SUFFIX, Session, SessionManager
from sidecar_shared.files import write_atomic
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END

Kinds = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class FileFinding:
    """A secret in a file: where (never the value) and of which kinds."""

    path: str
    kinds: tuple[str, ...]
    line: int | None = None
    session_id: str | None = None
    managed: bool | None = None  # MEMORY.md only: inside the managed section?

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"path": self.path, "kinds": list(self.kinds)}
        for key in ("line", "session_id", "managed"):
            if getattr(self, key) is not None:
                found[key] = getattr(self, key)
        return found


def session_kinds(data: dict[str, Any], kinds: Kinds) -> tuple[str, ...]:
    """The kinds of secret in a stored session's messages and summary (its JSON form)."""
    texts = [str(m.get("content", "")) for m in data.get("messages") or [] if isinstance(m, dict)]
    texts.append(str(data.get("compressed_context") or ""))
    return tuple(sorted({kind for text in texts for kind in kinds(text)}))


def scrub_session(session: Session, scrub: Callable[[str], str]) -> bool:
    """Redact ``session`` in place; True if anything changed."""
    changed = False
    for message in session.messages:
        content = message.get("content")
        if isinstance(content, str) and scrub(content) != content:
            message["content"] = scrub(content)
            changed = True
    summary = scrub(session.compressed_context)
    if summary != session.compressed_context:
        session.compressed_context = summary
        changed = True
    return changed


def _session_files(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every readable session file under ``root`` (every user's, and ones older versions left), as JSON."""
    found = []
    for path in sorted(root.rglob(f"*{SESSION_SUFFIX}")) if root.is_dir() else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found.append((path, data))
    return found


def sessions_pass(sessions: SessionManager, kinds: Kinds, scrub: Callable[[str], str],
                  dry_run: bool) -> list[FileFinding]:
    """Find (and unless ``dry_run``, redact) secrets in every session file, readable or moved aside.

    Sessions are rewritten through the manager (under its lock, each in its user's folder); a file no
    user owns (an old-version file that records none, with no default owner) is redacted where it is.
    """
    found = [FileFinding(str(path), file_kinds, session_id=str(data.get("session_id")))
             for path, data in _session_files(sessions.root) if (file_kinds := session_kinds(data, kinds))]
    if found and not dry_run:
        for user_id, session_id in sessions.all_sessions():
            sessions.rewrite(user_id, session_id, lambda stored: scrub_session(stored, scrub))
        for path, data in _session_files(sessions.root):
            if session_kinds(data, kinds):
                write_atomic(path, json.dumps(_scrub_strings(data, scrub), ensure_ascii=False, indent=1),
                             private=True)
    for path in sorted(sessions.root.rglob("*.corrupt")) if sessions.root.is_dir() else ():
        text = path.read_text(encoding="utf-8", errors="replace")
        file_kinds = kinds(text)
        if file_kinds:
            found.append(FileFinding(str(path), file_kinds))
            if not dry_run:
                write_atomic(path, scrub(text), private=True)
    return found


def _scrub_strings(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_strings(item, scrub) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_strings(item, scrub) for item in value]
    return value


def memory_md_pass(paths: Iterable[Path], kinds: Kinds) -> list[FileFinding]:
    """Lines of MEMORY.md files that hold a secret, each marked inside or outside the managed section."""
    found: list[FileFinding] = []
    for path in sorted(set(paths)):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        inside = False
        for number, line in enumerate(text.splitlines(), start=1):
            if MANAGED_BEGIN in line:
                inside = True
                continue
            if MANAGED_END in line:
                inside = False
                continue
            line_kinds = kinds(line)
            if line_kinds:
                found.append(FileFinding(str(path), line_kinds, line=number, managed=inside))
    return found
