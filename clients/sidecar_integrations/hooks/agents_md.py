"""A managed memory section in AGENTS.md, for agents that read the file but run no hooks.

The section sits between :data:`markers.MANAGED_BEGIN` and :data:`markers.MANAGED_END`;
everything outside it is preserved byte for byte (line endings included). A
file without the section gets it appended at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sidecar_shared import markers
from sidecar_shared.files import write_atomic

AGENTS_FILE = "AGENTS.md"
MAX_LINES = 200


def render_section(memories: Iterable[Mapping[str, Any]], user_id: str, newline: str = "\n") -> str:
    """The managed block (markers included) listing ``memories`` one per line."""
    lines = [markers.MANAGED_BEGIN, f"## What I remember about {user_id}", ""]
    body = [f"- {' '.join(str(m.get('memory', '')).split())}" for m in memories if str(m.get("memory", "")).strip()]
    lines += body[:MAX_LINES] or ["- (no memories yet)"]
    lines += ["", "_Refreshed by `memctl agents-md sync`._", markers.MANAGED_END]
    return newline.join(lines)


def splice(existing: str | None, section: str) -> str:
    """``existing`` with its managed section replaced by ``section`` (appended when absent)."""
    if not existing:
        return section + "\n"
    begin = existing.find(markers.MANAGED_BEGIN)
    end = existing.find(markers.MANAGED_END, begin + 1) if begin >= 0 else -1
    if begin >= 0 and end > begin:
        return existing[:begin] + section + existing[end + len(markers.MANAGED_END):]
    newline = "\r\n" if "\r\n" in existing else "\n"
    separator = "" if existing.endswith(("\n", "\r")) else newline
    return existing + separator + newline + section + newline


def sync_file(path: Path, memories: Iterable[Mapping[str, Any]], user_id: str, *, dry_run: bool = False) -> bool:
    """Rewrite the managed section of ``path``; returns True if the file changed (or would)."""
    existing = path.read_bytes().decode("utf-8") if path.exists() else None
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    updated = splice(existing, render_section(memories, user_id, newline))
    if updated == existing:
        return False
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, updated)  # bytes on disk: no newline translation of the untouched parts
    return True
