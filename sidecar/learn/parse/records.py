"""Records shared by the transcript parsers and the watcher built on them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """One user or assistant utterance found in a transcript, with its provenance."""

    agent: str
    session_id: str
    role: str
    text: str
    source: str
    line: int
    offset: int
    timestamp: str | None = None
    cwd: str | None = None
    message_id: str | None = None

    def key(self) -> str:
        """Idempotency key: sha256 over (source, offset, sha256(text)), hex."""
        text_digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        material = f"{self.source}\x00{self.offset}\x00{text_digest}"
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class ParseResult:
    """What one call to a parser found in a chunk of bytes."""

    candidates: list[Candidate] = field(default_factory=list)
    consumed: int = 0
    records: int = 0
    corrupt: int = 0


@dataclass
class ParserState:
    """Per-file state carried between chunks; persisted as JSON by the daemon.

    ``session_id`` and ``cwd`` are what header records taught the parser;
    ``extra`` holds parser-specific, JSON-serialisable values (recent message
    digests for de-duplication, Aider's session header, ...).
    """

    session_id: str | None = None
    cwd: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable copy of this state."""
        return {"session_id": self.session_id, "cwd": self.cwd, "extra": _json_copy(self.extra)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ParserState:
        """Rebuild a state saved with :meth:`to_dict` (tolerates missing keys)."""
        data = data or {}
        extra = data.get("extra")
        return cls(
            session_id=data.get("session_id"),
            cwd=data.get("cwd"),
            extra=_json_copy(extra) if isinstance(extra, dict) else {},
        )


def _json_copy(value: Any) -> Any:
    """Deep-copy plain JSON values so saved state never aliases live state."""
    if isinstance(value, dict):
        return {str(k): _json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_copy(v) for v in value]
    return value
