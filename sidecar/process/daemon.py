"""Start-up and shut-down of the daemon: lock, runtime dir, store, server.

Order matters: the lock is taken before anything else (a second daemon leaves
without touching the store), the store is loaded before the socket is bound
(a bound socket means ready), and READY=1 goes to systemd only then.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sidecar import __version__
from sidecar.process import notify, offline, startup
from sidecar.config.settings import ConfigError, Settings, load_settings
from sidecar.process.lock import AlreadyRunning, InstanceLock
from sidecar_shared import exitcodes
from sidecar_shared.paths import PathTooLong, UnsafeRuntimeDir, ensure_private_dir, ensure_runtime_dir

log = logging.getLogger("sidecar")
LOCK_POLL_S = 0.1


def setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for noisy in ("mem0", "chromadb", "httpx", "urllib3", "posthog"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def remove_stale_socket(socket_path: Path) -> None:
    """Called with the lock held: a socket file now can only be a crash's leftover."""
    if socket_path.exists() or socket_path.is_symlink():
        log.info("removing stale socket %s", socket_path)
        socket_path.unlink()


def run(settings: Settings) -> int:
    """Run the daemon until SIGTERM/SIGINT; return the process exit code."""
    paths = settings.paths
    lock = InstanceLock(paths.lock_path)
    try:
        paths.check_socket_path()
        ensure_private_dir(paths.data_dir)
        acquire_lock(lock, paths.socket_path, lock_wait_seconds(settings.socket_check_seconds))
    except AlreadyRunning as exc:
        log.error("%s", exc)
        return exitcodes.ALREADY_RUNNING
    except PathTooLong as exc:
        log.error("%s", exc)
        return exitcodes.CONFIG
    except OSError as exc:  # the data folder cannot be made or locked
        code, message = startup.explain(exc, paths.data_dir)
        log.error("%s", message)
        return code
    try:
        ensure_runtime_dir(paths.runtime_dir)
        remove_stale_socket(paths.socket_path)
        offline.apply(mem0_dir=paths.data_dir / "mem0")
        from sidecar.composition import Daemon

        daemon = Daemon(settings)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        lock.release()
        return exitcodes.CONFIG
    except UnsafeRuntimeDir as exc:
        log.error("%s", exc)
        lock.release()
        return exitcodes.CONFIG
    except Exception as exc:  # one line and a stable code, never a traceback (sidecar.process.startup)
        code, message = startup.explain(exc, paths.data_dir)
        log.error("%s", message)
        log.debug("start-up failure", exc_info=True)
        lock.release()
        return code
    daemon.server.install_signal_handlers()

    def ready() -> None:
        daemon.start_background()
        log.info("memory daemon %s ready on %s (pid %d, store %s, embedder %s)", __version__,
                 paths.endpoint, os.getpid(), daemon.store.path, daemon.store.choice.name)
        notify.ready(f"serving {paths.socket_path}")

    finished = True
    try:
        daemon.server.serve(on_ready=ready)
    finally:
        finished = close_within(daemon.close, settings.drain_seconds) and not daemon.server.abandoned
        try:
            paths.socket_path.unlink()
        except FileNotFoundError:
            pass
        lock.release()
        log.info("memory daemon stopped")
    if not finished:
        # threads still inside the store or a model: a normal interpreter exit could wait for them or
        # crash in their native code, so leave now; the lock is released and the socket is gone
        logging.shutdown()
        os._exit(exitcodes.OK)
    return exitcodes.OK


def lock_wait_seconds(socket_check_seconds: float) -> float:
    """How long a new daemon waits for one whose socket file is gone to bind it again or to exit."""
    return 2 * socket_check_seconds + 2.0


def acquire_lock(lock: InstanceLock, socket_path: Path, wait_seconds: float) -> None:
    """Take the store's lock; raise :class:`AlreadyRunning` if a daemon holds it.

    A daemon whose socket file was deleted binds it again within its socket check
    (or exits when it cannot): while the file is missing, this waits up to
    ``wait_seconds`` for either, instead of refusing at once in favour of a daemon
    nobody can reach.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            lock.acquire()
            return
        except AlreadyRunning as exc:
            if socket_path.exists():
                raise
            if time.monotonic() >= deadline:
                raise AlreadyRunning(lock.path, exc.pid, hint=(
                    f"; its socket {socket_path} is missing and it did not bind it again within "
                    f"{wait_seconds:g}s: stop it (kill {exc.pid or '<pid>'}) and start again")) from None
            time.sleep(LOCK_POLL_S)


def close_within(close: Callable[[], None], seconds: float) -> bool:
    """Run ``close`` but wait at most ``seconds`` for it; False if it did not finish (logged)."""
    thread = threading.Thread(target=close, name="daemon-close", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        log.warning("closing the daemon's parts took longer than %gs ([daemon] drain_seconds); exiting anyway",
                    seconds)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sidecar", description="Run the memory daemon in the foreground.")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"])
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR")
    options = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        setup_logging("INFO")
        log.error("configuration error: %s", exc)
        return exitcodes.CONFIG
    setup_logging(options.log_level or settings.log_level)
    return run(settings)


