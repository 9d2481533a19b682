"""Test helpers shipped with the package: a real daemon in a subprocess.

Usable from this project's tests and from users' own tests::

    from sidecar.testing.daemons import running_daemon

    with running_daemon(tmp_path) as daemon:
        daemon.client.add("I like tea", user_id="alice")

Waiting is on observable conditions only: readiness means the daemon's socket
answers ``ping`` with a state other than ``starting`` (polled every 50 ms; a
daemon that exits meanwhile fails the start at once), and stopping means the
process has exited. The socket answers ``ping`` within a fraction of a second of
the start; the store is loaded behind it (:mod:`sidecar.process.front`).

Environment:

``SIDECAR_TEST_READY_S``
    How long, in seconds, to wait at most for a daemon to become ready and to
    exit after a signal (default 600; see :mod:`sidecar.testing.waiting`). A
    daemon imports mem0 and chromadb after binding its socket: about 12 s on an
    idle 2-core box, up to two minutes under load. A start that fails is
    reported as soon as the process exits, whatever the limit.

``SIDECAR_TEST_TMP``
    Where :func:`short_home` makes its folders (default ``/tmp``).

It imports nothing heavy: the daemon runs in its own process.
"""

from __future__ import annotations

import os
import shutil
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

from sidecar.testing.waiting import READY_ENV, ready_limit, wait_until

__all__ = ["DaemonProcess", "DaemonStartError", "READY_ENV", "daemon_env", "private_daemon", "ready_limit",
           "running_daemon", "short_home", "start_daemon", "write_config"]

PING_TIMEOUT_S = 5.0  # one readiness probe; a probe that times out is simply retried until the limit
STARTING = "starting"  # what ping's ``state`` says while the daemon loads its store (sidecar.process.front)


def short_home(prefix: str = "sct-") -> Path:
    """A fresh folder whose ipc socket path stays well under the 107-byte limit."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("SIDECAR_TEST_TMP", "/tmp")))


def write_config(home: Path, text: str) -> Path:
    """Write ``text`` as the ``config.toml`` a daemon on ``home`` reads; returns its path."""
    config = app_paths({HOME_ENV: str(home)}).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return config


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

    def writes_running(self) -> int:
        """Write jobs a worker has started (``status`` lanes); unlike ``in_flight`` it never counts the
        ``status`` read that asks, so a test can tell that its write runs rather than waits in the queue."""
        return int(self.client.status()["lanes"]["write"]["running"])

    def wait_loaded(self) -> None:
        """Wait (up to :func:`ready_limit`) until ``ping`` no longer says ``starting``: reads are answered
        earlier, so a caller that started with ``loaded=False`` calls this before it needs the whole daemon."""
        wait_until(lambda: self.client.ping().get("state") != STARTING, what="the daemon to finish loading")

    def stop(self, sig: int = signal.SIGTERM, timeout: float | None = None) -> int:
        """Send ``sig`` and wait until the process exits; returns the exit code.

        A daemon still running after ``timeout`` seconds (default :func:`ready_limit`) is
        killed, so the code is then ``-SIGKILL``: a caller asserting a clean exit sees it.
        """
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(ready_limit() if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def daemon_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a daemon on ``home`` (without systemd's ``NOTIFY_SOCKET``)."""
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    env[HOME_ENV] = str(home)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def start_daemon(home: Path, *, env: Mapping[str, str] | None = None, timeout: float | None = None,
                 args: tuple[str, ...] = (), loaded: bool = True) -> DaemonProcess:
    """Start ``python -m sidecar`` on ``home`` and wait until it answers ``ping``.

    With ``loaded`` (the default) it also waits until the store is loaded (``ping`` no
    longer says ``starting``); without, it returns as soon as the socket answers.
    ``timeout`` defaults to :func:`ready_limit` (``$SIDECAR_TEST_READY_S``). Raises
    :class:`DaemonStartError` with the daemon's log as soon as the process exits, or
    when it is still not answering at the limit (it is then killed).
    """
    limit = ready_limit() if timeout is None else timeout
    home.mkdir(parents=True, exist_ok=True)
    full_env = daemon_env(home, env)
    log_path = home / f"daemon-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "sidecar", "serve", *args], env=full_env,
                                   stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    paths = app_paths(full_env)
    daemon = DaemonProcess(home, full_env, process, log_path, paths)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DaemonStartError(f"daemon exited with {process.returncode}:\n{daemon.log()}")
        if daemon_listening(paths.socket_path):
            try:
                pong = daemon.client.ping(timeout=PING_TIMEOUT_S)
                if not loaded or pong.get("state") != STARTING:
                    return daemon
            except SidecarError:
                pass
        time.sleep(0.05)
    daemon.stop(signal.SIGKILL)
    raise DaemonStartError(f"daemon not ready after {limit:g}s (set {READY_ENV} to wait longer):\n{daemon.log()}")


@contextmanager
def running_daemon(home: Path, *, env: Mapping[str, str] | None = None,
                   timeout: float | None = None) -> Iterator[DaemonProcess]:
    """A daemon for the duration of the block, stopped with SIGTERM afterwards."""
    daemon = start_daemon(home, env=env, timeout=timeout)
    try:
        yield daemon
    finally:
        daemon.stop()


@contextmanager
def private_daemon(config: str | None = None, *, prefix: str = "scm-",
                   env: Mapping[str, str] | None = None) -> Iterator[DaemonProcess]:
    """A daemon on a fresh short home, with ``$HOME`` inside it too; stopped and removed afterwards.

    Made for fixtures wider than one test (module-scoped daemons shared by tests that
    each use their own user ids): such a fixture is set up before any per-test
    ``$HOME`` exists, so without its own ``$HOME`` the daemon would read, and watch
    for transcripts, the real user's home. ``config`` is written as ``config.toml``.
    """
    home = short_home(prefix)
    user_home = home / "user-home"
    user_home.mkdir()
    if config is not None:
        write_config(home, config)
    try:
        with running_daemon(home, env={"HOME": str(user_home), **(env or {})}) as daemon:
            yield daemon
    finally:
        shutil.rmtree(home, ignore_errors=True)
