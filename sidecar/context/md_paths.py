"""Where each synced MEMORY.md lives, and moving files the old naming left behind.

A user's file is ``<data_dir>/memory/<name>/MEMORY.md`` with ``<name>`` from
:func:`sidecar_shared.id_paths.path_name`: one name per user id, so two users
never share a file (earlier versions folded ``alice.`` into ``alice``, ``a/b``
into ``a_b`` and gave both users one file).

Migration: a folder written by an earlier version is moved to the new name on
the user's first use, but only when the id was that folder's name verbatim
(``Alice`` owned ``Alice``). A folder whose name an id reached only by being
rewritten (``alice.`` → ``alice``) may belong to someone else and is left to
the id that spells it. Nothing is lost either way: the managed section is
re-rendered from the store, and a folder left behind stays where it was.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from sidecar.config.settings import Settings
from sidecar_shared.id_paths import legacy_path_name, path_name

log = logging.getLogger("sidecar.context.md_paths")

FILE_NAME = "MEMORY.md"


def memory_root(settings: Settings) -> Path:
    """The folder holding one folder per user."""
    return settings.paths.data_dir / "memory"


def user_file(settings: Settings, user_id: str) -> Path:
    """Where ``user_id``'s MEMORY.md lives (``[context] memory_md`` for the configured user)."""
    configured = settings.context.memory_md
    if configured is not None and user_id == settings.user_id:
        return configured
    return memory_root(settings) / path_name(user_id) / FILE_NAME


def project_targets(settings: Settings) -> list[tuple[Path, dict[str, str]]]:
    """``(file, scope)`` of each configured project MEMORY.md."""
    return [(entry.path / FILE_NAME, entry.scope(settings.user_id)) for entry in settings.context.project_dirs]


def adopt_legacy_folder(settings: Settings, user_id: str, in_use: Iterable[Path] = ()) -> Path | None:
    """Move ``user_id``'s folder from its old name to its new one; the new folder if it moved.

    Moves only when the id was the old folder's exact name (see the module
    docstring), the new folder does not exist yet and no synced file in
    ``in_use`` lives in the old folder.
    """
    if settings.context.memory_md is not None and user_id == settings.user_id:
        return None
    old_name, new_name = legacy_path_name(user_id), path_name(user_id)
    if old_name != user_id or old_name == new_name:
        return None
    root = memory_root(settings)
    old, new = root / old_name, root / new_name
    try:
        # Exact names: on a case-insensitive disk "Alice" would also find alice's folder.
        if old_name not in os.listdir(root) or os.path.lexists(new) or old.is_symlink() or not old.is_dir():
            return None
        if any(_same_folder(path.parent, old) for path in in_use):
            return None
        os.rename(old, new)
    except OSError as exc:
        log.warning("MEMORY.md folder %s of user %r not moved to %s: %s", old, user_id, new, exc)
        return None
    log.info("moved MEMORY.md folder of user %r from %s to %s (one folder per user id now)", user_id, old, new)
    return new


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
