"""Where config, data, runtime socket and logs live (shared by daemon and clients).

``SIDECAR_HOME`` moves all of them under one folder (tests use it; so does anyone
who wants a second, separate store). Otherwise the XDG/platform folders apply.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sidecar_shared.errors import SidecarError

APP_NAME = "agent-memory"
SOCKET_NAME = "daemon.sock"
LOCK_NAME = "daemon.lock"
CONFIG_NAME = "config.toml"
HOME_ENV = "SIDECAR_HOME"
# sun_path is 108 bytes on Linux and 104 on macOS, both including the NUL.
MAX_IPC_PATH = 103 if sys.platform == "darwin" else 107


class PathTooLong(ValueError):
    """The ipc socket path does not fit in a unix socket address."""


@dataclass(frozen=True)
class AppPaths:
    """Every location the sidecar uses, resolved once."""

    config_dir: Path
    data_dir: Path
    runtime_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_NAME

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / SOCKET_NAME

    @property
    def lock_path(self) -> Path:
        return self.data_dir / LOCK_NAME

    @property
    def endpoint(self) -> str:
        return f"ipc://{self.socket_path}"

    def check_socket_path(self) -> None:
        """Raise :class:`PathTooLong` if the socket path cannot be bound."""
        size = len(os.fsencode(str(self.socket_path)))
        if size > MAX_IPC_PATH:
            raise PathTooLong(
                f"socket path {self.socket_path} is {size} bytes; unix sockets allow "
                f"{MAX_IPC_PATH} here. Set {HOME_ENV} (or XDG_RUNTIME_DIR) to a shorter folder."
            )


def _default_runtime_dir(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg) / APP_NAME
    # After `su` or over some ssh setups XDG_RUNTIME_DIR is unset although systemd's
    # per-user runtime dir exists; use it so clients find the service's socket.
    per_user = Path(f"/run/user/{os.getuid()}")
    if sys.platform != "darwin" and per_user.is_dir() and per_user.stat().st_uid == os.getuid():
        return per_user / APP_NAME
    if sys.platform == "darwin":
        tmp = env.get("TMPDIR", "/tmp")
        return Path(tmp) / f"{APP_NAME}-{os.getuid()}"
    return Path("/tmp") / f"{APP_NAME}-{os.getuid()}"


def app_paths(env: Mapping[str, str] | None = None) -> AppPaths:
    """Resolve the sidecar's folders from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "config", root / "data", root / "run", root / "logs")
    import platformdirs

    if sys.platform == "darwin":
        config = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        logs = Path.home() / "Library" / "Logs" / APP_NAME
    else:
        config = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / APP_NAME
        data = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP_NAME
        logs = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / APP_NAME / "logs"
    return AppPaths(config, data, _default_runtime_dir(env), logs)


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` with mode 0700 (and tighten it if it already exists)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (path.stat().st_mode & 0o777) != 0o700:
        path.chmod(0o700)


class UnsafeRuntimeDir(SidecarError):
    """The socket's folder (or the socket) could be another user's: refusing to use it."""


def _runtime_problem(folder: Path, uid: int) -> str | None:
    """Why ``folder`` must not hold our socket, or None when it is ours alone."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"{folder} is a symbolic link; the socket folder must be a real folder"
    if not stat.S_ISDIR(info.st_mode):
        return f"{folder} is not a folder"
    if info.st_uid != uid:
        return f"{folder} belongs to uid {info.st_uid}, not to you (uid {uid})"
    return None


def check_runtime_dir(folder: Path) -> None:
    """Refuse a socket folder that is a link, not a folder, not ours or open to others.

    A missing folder passes (nothing listens there). Clients call this before
    connecting: in a shared ``/tmp`` another user could create
    ``agent-memory-<uid>`` first and listen in it for our memories.
    """
    uid = os.getuid()
    problem = _runtime_problem(folder, uid)
    if problem is None and folder.exists() and (folder.stat().st_mode & 0o077):
        problem = f"{folder} has mode {folder.stat().st_mode & 0o777:04o}; it must be 0700"
    if problem:
        raise UnsafeRuntimeDir(f"refusing the socket folder: {problem}. Remove it (or chmod 700 it if it is "
                               f"yours) and start the daemon again")


def check_socket(socket_path: Path) -> None:
    """:func:`check_runtime_dir` on its folder, then refuse a socket that is not ours."""
    check_runtime_dir(socket_path.parent)
    try:
        info = socket_path.lstat()
    except FileNotFoundError:
        return
    if info.st_uid != os.getuid():
        raise UnsafeRuntimeDir(f"refusing the socket {socket_path}: it belongs to uid {info.st_uid}, not to you")
    if not stat.S_ISSOCK(info.st_mode):
        raise UnsafeRuntimeDir(f"refusing {socket_path}: it is not a socket")


def ensure_runtime_dir(folder: Path) -> None:
    """Create the socket folder 0700, or check that the existing one is ours and tighten it.

    Raises :class:`UnsafeRuntimeDir` for a link, a non-folder or another user's
    folder: the daemon must not listen where someone else can replace the socket.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    problem = _runtime_problem(folder, os.getuid())
    if problem:
        raise UnsafeRuntimeDir(f"refusing the socket folder: {problem}. Remove it and start the daemon again")
    if (folder.lstat().st_mode & 0o777) != 0o700:
        folder.chmod(0o700)
