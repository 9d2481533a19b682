"""Start-up and shut-down of the daemon: lock, runtime dir, store, server.

Order matters: the lock is taken before anything else (a second daemon leaves
without touching the store), the store is loaded before the socket is bound
(a bound socket means ready), and READY=1 goes to systemd only then.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from sidecar import __version__
from sidecar.process import notify, offline
from sidecar.config.settings import ConfigError, Settings, load_settings
from sidecar.process.lock import AlreadyRunning, InstanceLock
from sidecar_shared import exitcodes
from sidecar_shared.paths import PathTooLong, ensure_private_dir

log = logging.getLogger("sidecar")


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
        lock.acquire()
    except AlreadyRunning as exc:
        log.error("%s", exc)
        return exitcodes.ALREADY_RUNNING
    except PathTooLong as exc:
        log.error("%s", exc)
        return exitcodes.CONFIG
    try:
        ensure_private_dir(paths.runtime_dir)
        remove_stale_socket(paths.socket_path)
        offline.apply(mem0_dir=paths.data_dir / "mem0")
        from sidecar.composition import Daemon

        daemon = Daemon(settings)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        lock.release()
        return exitcodes.CONFIG
    except Exception as exc:
        log.exception("could not start: %s", exc)
        lock.release()
        return exitcodes.ERROR
    daemon.server.install_signal_handlers()

    def ready() -> None:
        daemon.start_background()
        log.info("memory daemon %s ready on %s (pid %d, store %s, embedder %s)", __version__,
                 paths.endpoint, os.getpid(), daemon.store.path, daemon.store.choice.name)
        notify.ready(f"serving {paths.socket_path}")

    try:
        daemon.server.serve(on_ready=ready)
    finally:
        daemon.close()
        try:
            paths.socket_path.unlink()
        except FileNotFoundError:
            pass
        lock.release()
        log.info("memory daemon stopped")
    return exitcodes.OK


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


