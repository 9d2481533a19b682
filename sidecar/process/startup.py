"""What stops the daemon from starting, as one log line and a stable exit code.

Under systemd a traceback and exit 1 mean a restart loop that repeats the same
failure. Failures a person must fix (a corrupt or unreadable store file, an
interrupted migration, a model to pull) exit :data:`~sidecar_shared.exitcodes.CONFIG`,
which the unit does not restart; failures that may pass (an Ollama embedder not
up yet, a full disk) exit with codes it does restart. The message says what to do.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from sidecar.store.errors import StoreError
from sidecar.store.preflight import OllamaUnreachable
from sidecar_shared import exitcodes

# errors that may go away without anyone changing the files: worth systemd's retry
_PASSING_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EAGAIN, errno.ENOMEM, errno.EMFILE})


class StartupError(Exception):
    """A part of the daemon cannot start; the message says what to do, ``exit_code`` is stable."""

    def __init__(self, message: str, exit_code: int = exitcodes.CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines too) made one space."""
    return " ".join(str(text).split())


def explain(exc: BaseException, data_dir: Path) -> tuple[int, str]:
    """The exit code and the one-line message for an exception raised while the daemon starts."""
    if isinstance(exc, StartupError):
        return exc.exit_code, one_line(exc)
    from sidecar.config.settings import ConfigError  # here: pydantic must not delay the socket's bind

    if isinstance(exc, ConfigError):
        return exitcodes.CONFIG, f"configuration error: {one_line(exc)}"
    if isinstance(exc, OllamaUnreachable):
        return exitcodes.UNAVAILABLE, one_line(exc)
    if isinstance(exc, StoreError):
        return exitcodes.CONFIG, (f"{one_line(exc)} (store under {data_dir}); restore the damaged file from a "
                                  "backup, or move the store folder away and import an export (memctl import)")
    if isinstance(exc, PermissionError):
        return exitcodes.CONFIG, (f"no permission to use {exc.filename or data_dir} ({exc.strerror}); "
                                  "give it back to the user the daemon runs as (chown/chmod) and start again")
    if isinstance(exc, OSError):
        code = exitcodes.IO_ERROR if exc.errno in _PASSING_ERRNOS else exitcodes.CONFIG
        return code, f"cannot use {exc.filename or data_dir}: {exc.strerror or one_line(exc)}"
    if isinstance(exc, sqlite3.DatabaseError):
        return exitcodes.CONFIG, (f"a database file under {data_dir} cannot be read ({one_line(exc)}); "
                                  "restore it from a backup or move it away")
    return exitcodes.ERROR, (f"could not start: {exc.__class__.__name__}: {one_line(exc)} "
                             "(run with --log-level DEBUG for the traceback)")
