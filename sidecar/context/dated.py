"""One short stamp per injected memory: when it was learned or last changed, and where it came from.

``(2026-11-29, session)`` for a memory never changed since it was learned,
``(updated 2026-11-30, MEMORY.md)`` once its value changed. About six tokens a
memory, so the agent can weigh a stale fact without a table of metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

# metadata "source" values that already are short names; anything else (a transcript's path) is not
_NAMED_SOURCES = {"session": "session", "api": "api", "MEMORY.md": "MEMORY.md", "import": "import"}


def _day(stamp: Any) -> str | None:
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d")


def origin_of(record: Mapping[str, Any]) -> str:
    """Where a memory came from, in a word or two: session, api, MEMORY.md, <agent> transcript, added."""
    metadata = record.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    edited = metadata.get("last_edit")
    if isinstance(edited, str) and edited.startswith("MEMORY.md"):
        return "MEMORY.md"  # the long form (edited while stopped) is for history, not for every prompt
    native = metadata.get("native")
    if isinstance(native, str) and native:
        return f"{native} memory"  # imported from the agent's own memory files (memctl import-native)
    source = metadata.get("source")
    agent = record.get("agent_id")
    if isinstance(source, str) and source in _NAMED_SOURCES:
        return _NAMED_SOURCES[source]
    if isinstance(source, str) and ("/" in source or "\\" in source):
        return f"{agent} transcript" if isinstance(agent, str) and agent else "transcript"
    if metadata.get("observed") or metadata.get("kind") == "observation":
        return "observed"
    return "added"


def stamp(record: Mapping[str, Any]) -> str:
    """``(YYYY-MM-DD, origin)``, or ``(updated YYYY-MM-DD, origin)`` once the memory changed; "" without dates."""
    created = _day(record.get("created_at"))
    updated = record.get("updated_at")
    changed = bool(updated) and str(updated) != str(record.get("created_at"))
    day = _day(updated) if changed else created
    if day is None:
        return ""
    return f"({'updated ' if changed else ''}{day}, {origin_of(record)})"


def dated_line(text: str, record: Mapping[str, Any]) -> str:
    """``text`` followed by its stamp (unchanged when the record has no dates)."""
    mark = stamp(record)
    return f"{text} {mark}" if mark else text
