"""Test helpers shipped with the package: a real daemon in a subprocess.

Usable from this project's tests and from users' own tests::

    from sidecar.testing.daemons import running_daemon

    with running_daemon(tmp_path) as daemon:
        daemon.client.add("I like tea", user_id="alice")

It imports nothing heavy: the daemon runs in its own process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sidecar_client.client import Client, daemon_listening
from sidecar_shared.errors import SidecarError
from sidecar_shared.paths import HOME_ENV, AppPaths, app_paths


def short_home(prefix: str = "sct-") -> Path:
    """A fresh folder whose ipc socket path stays well under the 107-byte limit."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("SIDECAR_TEST_TMP", "/tmp")))


class DaemonStartError(RuntimeError):
    """The daemon exited or did not become ready in time."""


@dataclass
class DaemonProcess:
    """A daemon subprocess on its own ``SIDECAR_HOME``."""

    home: Path
    env: dict[str, str]
    process: subprocess.Popen
    log_path: Path
    paths: AppPaths
    client: Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = Client(self.paths, timeout=30.0)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` and wait; returns the exit code."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def daemon_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    env[HOME_ENV] = str(home)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def start_daemon(home: Path, *, env: Mapping[str, str] | None = None, timeout: float = 60.0,
                 args: tuple[str, ...] = ()) -> DaemonProcess:
    """Start ``python -m sidecar`` on ``home`` and wait until it answers ``ping``."""
    home.mkdir(parents=True, exist_ok=True)
    full_env = daemon_env(home, env)
    log_path = home / f"daemon-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "sidecar", "serve", *args], env=full_env,
                                   stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    paths = app_paths(full_env)
    daemon = DaemonProcess(home, full_env, process, log_path, paths)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DaemonStartError(f"daemon exited with {process.returncode}:\n{daemon.log()}")
        if daemon_listening(paths.socket_path):
            try:
                daemon.client.ping(timeout=2.0)
                return daemon
            except SidecarError:
                pass
        time.sleep(0.05)
    daemon.stop(signal.SIGKILL)
    raise DaemonStartError(f"daemon not ready after {timeout}s:\n{daemon.log()}")


@contextmanager
def running_daemon(home: Path, *, env: Mapping[str, str] | None = None,
                   timeout: float = 60.0) -> Iterator[DaemonProcess]:
    """A daemon for the duration of the block, stopped with SIGTERM afterwards."""
    daemon = start_daemon(home, env=env, timeout=timeout)
    try:
        yield daemon
    finally:
        daemon.stop()
