"""The socket folder is checked before use: ours, 0700, a real folder; the socket ours.

``/tmp/agent-memory-<uid>`` (the fallback without ``XDG_RUNTIME_DIR``) lives in a
folder every user can write, so another user could create it first and listen
there. Folders owned by someone else need root to make; those tests skip otherwise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.daemons import daemon_env
from sidecar.testing.waiting import ready_limit
from sidecar_client.client import Client, daemon_listening
from sidecar_shared import exitcodes
from sidecar_shared.paths import (
    HOME_ENV,
    UnsafeRuntimeDir,
    app_paths,
    check_runtime_dir,
    check_socket,
    ensure_runtime_dir,
)

NOBODY = 65534
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="making a folder owned by another user needs root")


@pytest.fixture
def listening_socket(tmp_path: Path) -> Iterator[Path]:
    """A unix socket that accepts connections, in a 0700 folder of ours."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    path = folder / "daemon.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    try:
        yield path
    finally:
        server.close()


def test_our_private_folder_passes_and_a_missing_one_means_not_running(listening_socket: Path,
                                                                        tmp_path: Path) -> None:
    check_socket(listening_socket)
    assert daemon_listening(listening_socket) is True
    assert daemon_listening(tmp_path / "absent" / "daemon.sock") is False


def test_a_folder_open_to_others_is_refused_by_clients(listening_socket: Path) -> None:
    listening_socket.parent.chmod(0o755)
    with pytest.raises(UnsafeRuntimeDir, match="mode 0755"):
        daemon_listening(listening_socket)


def test_a_symlinked_socket_folder_is_refused(listening_socket: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(listening_socket.parent)
    with pytest.raises(UnsafeRuntimeDir, match="symbolic link"):
        daemon_listening(link / "daemon.sock")
    with pytest.raises(UnsafeRuntimeDir, match="symbolic link"):
        ensure_runtime_dir(link)


@needs_root
def test_a_folder_of_another_user_is_refused_by_clients_and_the_daemon(listening_socket: Path) -> None:
    os.chown(listening_socket.parent, NOBODY, NOBODY)
    with pytest.raises(UnsafeRuntimeDir, match=f"belongs to uid {NOBODY}"):
        daemon_listening(listening_socket)
    with pytest.raises(UnsafeRuntimeDir, match=f"belongs to uid {NOBODY}"):
        ensure_runtime_dir(listening_socket.parent)


@needs_root
def test_a_socket_of_another_user_is_refused(listening_socket: Path) -> None:
    os.chown(listening_socket, NOBODY, NOBODY)
    with pytest.raises(UnsafeRuntimeDir, match="socket .* belongs to uid"):
        Client(app_paths({HOME_ENV: str(listening_socket.parent.parent)}), timeout=1, retries=0).ping()


def test_the_daemon_creates_its_folder_0700_and_tightens_its_own(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    ensure_runtime_dir(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o700
    fresh.chmod(0o755)
    ensure_runtime_dir(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o700
    check_runtime_dir(fresh)


@needs_root
def test_the_daemon_refuses_to_start_in_another_users_socket_folder(isolated_home: Path) -> None:
    run = app_paths({HOME_ENV: str(isolated_home)}).runtime_dir
    run.mkdir(parents=True, mode=0o700)
    os.chown(run, NOBODY, NOBODY)
    daemon = subprocess.run([sys.executable, "-m", "sidecar", "serve"], env=daemon_env(isolated_home),
                            capture_output=True, text=True, timeout=ready_limit())
    assert daemon.returncode == exitcodes.CONFIG
    assert f"refusing the socket folder: {run} belongs to uid {NOBODY}" in daemon.stderr
    assert "Traceback" not in daemon.stderr and not (run / "daemon.sock").exists()
