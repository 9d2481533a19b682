"""The real daemon tells systemd READY=1 after the store is loaded and STOPPING=1 on SIGTERM.

Each test starts its own daemon: it needs NOTIFY_SOCKET set at start and sends signals.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sidecar.testing.daemons import daemon_env
from sidecar.testing.waiting import wait_for_exit, wait_until
from sidecar_client.client import Client, daemon_listening
from sidecar_shared.paths import app_paths


@contextmanager
def daemon_under_notify(home: Path, folder: Path) -> Iterator[tuple[subprocess.Popen, socket.socket, dict]]:
    """A daemon whose NOTIFY_SOCKET is a datagram socket this test reads."""
    notify_path = folder / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    listener.settimeout(0.1)  # read through notification(), which also watches the daemon
    env = daemon_env(home, {"NOTIFY_SOCKET": str(notify_path)})
    daemon = subprocess.Popen([sys.executable, "-m", "sidecar"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield daemon, listener, env
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        listener.close()


def notification(listener: socket.socket, daemon: subprocess.Popen, what: str) -> str:
    """The next datagram on ``listener`` that holds ``what`` (``STATUS=``/``EXTEND_TIMEOUT_USEC=`` ones
    sent while loading are skipped); fails at once if the daemon exits first (READY=1 waits for mem0)."""

    def wanted() -> str | None:
        got = receive()
        return got if got is not None and what in got else None

    def receive() -> str | None:
        try:
            return listener.recv(4096).decode()
        except TimeoutError:
            if daemon.poll() is None:
                return None
        try:  # the daemon has exited: whatever it sent before is already queued
            return listener.recv(4096).decode()
        except TimeoutError:
            raise AssertionError(f"the daemon exited with {daemon.returncode} before {what}") from None

    return wait_until(wanted, interval=0, what=what)


def test_daemon_notifies_ready_then_stopping(isolated_home: Path, tmp_path: Path):
    with daemon_under_notify(isolated_home, tmp_path) as (daemon, listener, env):
        assert "READY=1" in notification(listener, daemon, "READY=1")
        paths = app_paths(env)
        # READY came after the socket was bound and the store loaded: a request succeeds at once.
        assert daemon_listening(paths.socket_path)
        assert Client(paths, timeout=30).status()["dims"] == 384
        daemon.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in notification(listener, daemon, "STOPPING=1")
        assert wait_for_exit(daemon) == 0


def test_sighup_reloads_and_keeps_serving(isolated_home: Path, tmp_path: Path):
    with daemon_under_notify(isolated_home, tmp_path) as (daemon, listener, env):
        assert "READY=1" in notification(listener, daemon, "READY=1")
        daemon.send_signal(signal.SIGHUP)
        reloading = notification(listener, daemon, "RELOADING=1")
        assert "RELOADING=1" in reloading and "MONOTONIC_USEC=" in reloading
        assert "READY=1" in notification(listener, daemon, "READY=1")
        assert Client(app_paths(env), timeout=30).ping(timeout=30)["pong"] is True  # answered after the reload
        assert daemon.poll() is None
        daemon.send_signal(signal.SIGTERM)
        assert wait_for_exit(daemon) == 0
