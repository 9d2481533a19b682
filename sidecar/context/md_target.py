"""One synced MEMORY.md and its bookkeeping (:class:`MdTarget`), and the small rules about targets."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sidecar.context.memory_md_edits import Debouncer, MemoryMdSync


class TargetConflict(ValueError):
    """Two scopes would share one MEMORY.md; the second is refused rather than shown the first's memories."""


def stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def touches(change_scope: Mapping[str, str], target_scope: Mapping[str, str]) -> bool:
    # A change can reach a file unless some scope key both name differs.
    return all(change_scope[k] == v for k, v in target_scope.items() if k in change_scope)


@dataclass
class MdTarget:
    """One synced MEMORY.md and its bookkeeping."""

    path: Path
    scope: dict[str, str]
    sync: MemoryMdSync
    regen: Debouncer
    file_events: Debouncer
    lock: threading.Lock = field(default_factory=threading.Lock)
    stat: tuple[int, int, int] | None = None
    generation: int = 0
    regenerations: int = 0
    edits_applied: int = 0
    edit_failures: int = 0
    malformed: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    short_ids: dict[str, str] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)  # short id -> "(2026-11-29, session)"
    adopted: bool = False
    kept_copies: list[str] = field(default_factory=list)

    def status(self) -> dict[str, Any]:
        return {"path": str(self.path), "scope": self.scope, "generation": self.generation,
                "regenerations": self.regenerations, "edits_applied": self.edits_applied,
                "edit_failures": self.edit_failures, "malformed": self.malformed, "problem": self.problem,
                "kept_copies": self.kept_copies[-5:]}
