"""Reading the bytes of a transcript that are new since its stored cursor.

Append-only logs (``.jsonl``, Aider's ``.md``) are read from the stored offset.
The cursor restarts at 0 with a fresh parser state when the file was rotated
(another inode at the same path) or truncated (shorter than the offset).
Whole-file documents (``.json``) are re-read from the start whenever their
size, mtime or inode changed; their parsers skip messages already emitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sidecar.learn.queue.job_queue import FileCursor

DEFAULT_CHUNK_BYTES = 1 << 20
MAX_CHUNK_BYTES = 64 << 20
WHOLE_DOCUMENT_SUFFIXES = (".json",)


@dataclass(frozen=True)
class TailRead:
    """What :func:`read_new` found.

    ``status`` is ``"gone"`` (no such file), ``"unchanged"`` or ``"data"``.
    ``restart`` names why reading started over (``"rotated"``, ``"truncated"``),
    in which case the parser state must be reset.
    """

    status: str
    data: bytes = b""
    start_offset: int = 0
    start_line: int = 1
    restart: str | None = None
    inode: int | None = None
    size: int = 0
    mtime_ns: int = 0
    whole_document: bool = False
    at_end: bool = True


def is_whole_document(path: Path | str) -> bool:
    """True for formats rewritten whole (read from the start each time)."""
    return str(path).endswith(WHOLE_DOCUMENT_SUFFIXES)


def read_new(path: Path, cursor: FileCursor | None, *, max_bytes: int = DEFAULT_CHUNK_BYTES) -> TailRead:
    """Read at most ``max_bytes`` of ``path`` that lie past ``cursor``; see :class:`TailRead`."""
    try:
        handle = open(path, "rb")
    except (FileNotFoundError, NotADirectoryError):
        return TailRead("gone")
    with handle:
        # stat the open handle: a rotation between stat and open cannot mix two files
        info = os.fstat(handle.fileno())
        inode, size, mtime_ns = info.st_ino, info.st_size, info.st_mtime_ns
        meta = {"inode": inode, "size": size, "mtime_ns": mtime_ns}
        if is_whole_document(path):
            if cursor is not None and (cursor.inode, cursor.size, cursor.mtime_ns) == (inode, size, mtime_ns):
                return TailRead("unchanged", **meta)
            return TailRead("data", handle.read(), 0, 1, None, whole_document=True, **meta)
        offset, line, restart = (0, 1, None) if cursor is None else (cursor.offset, cursor.line, None)
        if cursor is not None and cursor.inode is not None and cursor.inode != inode:
            offset, line, restart = 0, 1, "rotated"
        elif size < offset:
            offset, line, restart = 0, 1, "truncated"
        if offset >= size and restart is None:
            return TailRead("unchanged", start_offset=offset, start_line=line, **meta)
        handle.seek(offset)
        data = handle.read(max_bytes)
        return TailRead("data", data, offset, line, restart, at_end=offset + len(data) >= size, **meta)
