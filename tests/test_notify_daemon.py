"""The real daemon tells systemd READY=1 after the store is loaded and STOPPING=1 on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sidecar.testing.daemons import daemon_env
from sidecar_client.client import Client, daemon_listening
from sidecar_shared.paths import app_paths


@contextmanager
def daemon_under_notify(home: Path, folder: Path) -> Iterator[tuple[subprocess.Popen, socket.socket, dict]]:
    """A daemon whose NOTIFY_SOCKET is a datagram socket this test reads."""
    notify_path = folder / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    listener.settimeout(60)
    env = daemon_env(home, {"NOTIFY_SOCKET": str(notify_path)})
    daemon = subprocess.Popen([sys.executable, "-m", "sidecar"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield daemon, listener, env
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)
        listener.close()


def test_daemon_notifies_ready_then_stopping(isolated_home: Path, tmp_path: Path):
    with daemon_under_notify(isolated_home, tmp_path) as (daemon, listener, env):
        assert "READY=1" in listener.recv(4096).decode()
        paths = app_paths(env)
        # READY came after the socket was bound and the store loaded: a request succeeds at once.
        assert daemon_listening(paths.socket_path)
        assert Client(paths, timeout=5).status()["dims"] == 384
        daemon.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in listener.recv(4096).decode()
        assert daemon.wait(30) == 0


def test_sighup_reloads_and_keeps_serving(isolated_home: Path, tmp_path: Path):
    with daemon_under_notify(isolated_home, tmp_path) as (daemon, listener, env):
        assert "READY=1" in listener.recv(4096).decode()
        daemon.send_signal(signal.SIGHUP)
        reloading = listener.recv(4096).decode()
        assert "RELOADING=1" in reloading and "MONOTONIC_USEC=" in reloading
        assert "READY=1" in listener.recv(4096).decode()
        time.sleep(0.2)
        assert daemon.poll() is None
        assert Client(app_paths(env), timeout=5).ping()["pong"] is True
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
