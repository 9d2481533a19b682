"""Where the MEMORY.md sync keeps what it last wrote (or read) of each file, across restarts.

The copies live in the daemon's data folder, never next to a project's MEMORY.md:
``<data_dir>/memory-state/<digest of the file's path>.md``. A file whose edits could
not be applied is copied beside them (``….unapplied-<UTC time>.md``) before it is
re-rendered, so no hand edit is ever overwritten without a copy.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timezone
from pathlib import Path

from sidecar_shared.paths import ensure_private_dir

STATE_FOLDER = "memory-state"


def state_file(data_dir: Path, md_path: Path) -> Path:
    """The saved copy of ``md_path``'s last synced version."""
    digest = hashlib.sha256(str(md_path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return data_dir / STATE_FOLDER / f"{digest}.md"


def keep_copy(state: Path, md_path: Path, why: str) -> Path | None:
    """Copy ``md_path`` beside its state file as ``<digest>.<why>-<UTC time>.md``; None if it is gone."""
    if not md_path.exists():
        return None
    ensure_private_dir(state.parent)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    copy = state.with_name(f"{state.stem}.{why}-{stamp}.md")
    shutil.copyfile(md_path, copy)
    copy.chmod(0o600)
    return copy
