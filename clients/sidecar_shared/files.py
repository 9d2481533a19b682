"""Writing files so that readers see the old or the new content, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def make_dirs(folder: Path, *, private: bool = False) -> None:
    """Create ``folder`` and its missing parents; with ``private`` each folder
    created here is 0700 (existing folders are left as they are)."""
    if not private:
        folder.mkdir(parents=True, exist_ok=True)
        return
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=PRIVATE_DIR_MODE)


def write_atomic(path: Path | str, text: str, *, new_file_mode: int = 0o644, private: bool = False) -> None:
    """Replace ``path`` with ``text`` atomically: temp file in the same
    directory, fsync, ``os.replace``; an existing file's mode is kept.

    ``private`` is for files that hold memories: a new file is 0600, an existing
    one loses its group and other bits, and missing folders are created 0700.
    """
    target = Path(path)
    make_dirs(target.parent, private=private)
    try:
        mode = target.stat().st_mode & 0o7777
        if private:
            mode &= ~0o077
    except FileNotFoundError:
        mode = PRIVATE_FILE_MODE if private else new_file_mode
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", errors="surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    # Makes the rename itself durable; some platforms cannot open a directory.
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
