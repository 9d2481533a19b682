"""Start-up and shut-down of the daemon: lock, runtime dir, store, server.

Order matters: the lock is taken before anything else (a second daemon leaves
without touching the store); the socket is bound at once and answers ``ping`` and
``status`` (state ``starting``) while the parts are built on a background thread
(:mod:`sidecar.process.front`): importing mem0 and chromadb and loading the models
takes seconds, minutes on a loaded machine. The build opens the store's reads first
(:mod:`sidecar.composition_reads`: no mem0, no judge), and from then on the front
answers ``search``, ``get`` and ``get_all`` (:mod:`sidecar.process.early_reads`); other requests
are held and run, in order, once the server takes the socket over. A start that
fails after the bind still ends with its one line and stable exit code.

``SIDECAR_START_HOLD`` (tests only): the path of a file; the parts are not built
until it exists, so a test can watch the daemon while it is starting.
``SIDECAR_WRITES_HOLD`` (tests only): likewise, but the store's reads are opened
first, so a test can watch reads answered while the writes still load.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sidecar import __version__
from sidecar.process import notify, offline, startup
from sidecar.process.front import StartFront
from sidecar.process.lock import AlreadyRunning, InstanceLock
from sidecar_shared import exitcodes
from sidecar_shared.paths import (AppPaths, PathTooLong, UnsafeRuntimeDir, app_paths, ensure_private_dir,
                                  ensure_runtime_dir)
from sidecar_shared.protocol import Code

log = logging.getLogger("sidecar")
LOCK_POLL_S = 0.1
HOLD_ENV = "SIDECAR_START_HOLD"
WRITES_HOLD_ENV = "SIDECAR_WRITES_HOLD"
HOLD_POLL_S = 0.05
DEFAULT_SOCKET_CHECK_S = 2.0  # [daemon] socket_check_seconds' default


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


def run(paths: AppPaths, *, log_level: str | None = None) -> int:
    """Run the daemon on ``paths`` until SIGTERM/SIGINT; return the process exit code.

    The configuration is read on the build thread, after the bind: validating it
    imports pydantic, which would otherwise delay the first ``ping``. A bad one
    still ends the start with ``configuration error: ...`` and its exit code.
    """
    lock = InstanceLock(paths.lock_path)
    try:
        paths.check_socket_path()
        ensure_private_dir(paths.data_dir)
        acquire_lock(lock, paths.socket_path, lambda: lock_wait_seconds(configured_socket_check()))
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
        front = StartFront(paths)
    except UnsafeRuntimeDir as exc:
        log.error("%s", exc)
        lock.release()
        return exitcodes.CONFIG
    except Exception as exc:  # one line and a stable code, never a traceback (sidecar.process.startup)
        code, message = startup.explain(exc, paths.data_dir)
        log.error("%s", message)
        lock.release()
        return code
    front.install_signal_handlers()
    # ping and status answer from now on, other ops wait for the load; READY=1 only once loaded, so that
    # units ordered after this one start when it serves (the front extends the start timeout meanwhile)
    notify.notify(f"STATUS=starting on {paths.socket_path}")
    # DEBUG: a start that fails stays one line on stderr (sidecar.process.startup)
    log.debug("memory daemon %s starting on %s (pid %d)", __version__, paths.endpoint, os.getpid())
    build = Build(log_level)
    build.start()
    front.run_until(build.done, build.read_ops)
    if front.exit_requested:
        return stop_while_starting(front, paths)
    front.finish_reads()
    if build.failure is not None:
        return fail_start(front, lock, paths, build.failure)
    daemon = build.result
    assert daemon is not None
    settings = daemon.settings
    daemon.server.install_signal_handlers()
    if front.exit_requested:  # a signal between the build and the handler swap
        daemon.server.request_exit()

    def ready() -> None:
        daemon.start_background()
        log.info("memory daemon %s ready on %s (pid %d, store %s, embedder %s, loaded in %.1fs)", __version__,
                 paths.endpoint, os.getpid(), daemon.store.path, daemon.store.choice.name,
                 time.monotonic() - front.started)
        notify.ready(f"serving {paths.socket_path}")

    finished = True
    try:
        daemon.server.serve(on_ready=ready, router=front.router, held=front.take_held())
    finally:
        front.context.term()  # the server closed the socket it took over
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


class Build(threading.Thread):
    """Reads the configuration and builds the daemon's parts (the slow part of a start) off the socket thread."""

    def __init__(self, log_level: str | None) -> None:
        super().__init__(name="daemon-build", daemon=True)
        self.log_level = log_level
        self.done = threading.Event()
        self.result: Any = None
        self.reads: Any = None  # the reads part (sidecar.composition_reads.ReadPart), before the rest
        self.failure: BaseException | None = None

    def read_ops(self) -> Any:
        """The reads part's op table once it is built, else None (asked by the socket thread)."""
        reads = self.reads
        return reads.ops if reads is not None else None

    def run(self) -> None:
        try:
            wait_for_file(HOLD_ENV)
            from sidecar.config.settings import load_settings

            settings = load_settings()
            if self.log_level is None:
                logging.getLogger().setLevel(getattr(logging, settings.log_level, logging.INFO))
            from sidecar.composition_reads import build_reads

            reads = build_reads(settings)  # searches are answered from here on (the front serves them)
            self.reads = reads
            wait_for_file(WRITES_HOLD_ENV)
            from sidecar.composition import Daemon

            self.result = Daemon(settings, reads)
        except BaseException as exc:
            self.failure = exc
        finally:
            self.done.set()


def wait_for_file(env_name: str) -> None:
    """Tests only: wait until the file ``$env_name`` names exists (no wait when it is unset)."""
    hold = os.environ.get(env_name, "").strip()
    while hold and not Path(hold).exists():
        time.sleep(HOLD_POLL_S)


def stop_while_starting(front: StartFront, paths: Any) -> int:
    """SIGTERM during the load: held requests are told, the socket goes, the process leaves now.

    The build thread may be deep in an import or a model load: it cannot be stopped, so
    the process exits without waiting for it (the kernel releases the instance lock).
    """
    log.info("stopped while starting")
    notify.stopping()
    front.refuse_held(Code.SHUTTING_DOWN, "the daemon stopped before it was ready; this request was not run")
    front.close()
    try:
        paths.socket_path.unlink()
    except FileNotFoundError:
        pass
    log.info("memory daemon stopped")
    logging.shutdown()
    os._exit(exitcodes.OK)


def fail_start(front: StartFront, lock: InstanceLock, paths: Any, exc: BaseException) -> int:
    """The parts could not be built: one line, a stable code, held requests told why."""
    if isinstance(exc, UnsafeRuntimeDir):
        code, message = exitcodes.CONFIG, str(exc)
    else:  # one line and a stable code, never a traceback (sidecar.process.startup)
        code, message = startup.explain(exc, paths.data_dir)
        log.debug("start-up failure", exc_info=exc)
    log.error("%s", message)
    front.refuse_held(Code.UNAVAILABLE, f"the daemon could not start: {message}")
    front.close()
    try:
        paths.socket_path.unlink()
    except FileNotFoundError:
        pass
    lock.release()
    return code


def lock_wait_seconds(socket_check_seconds: float) -> float:
    """How long a new daemon waits for one whose socket file is gone to bind it again or to exit."""
    return 2 * socket_check_seconds + 2.0


def acquire_lock(lock: InstanceLock, socket_path: Path, wait_seconds: float | Callable[[], float]) -> None:
    """Take the store's lock; raise :class:`AlreadyRunning` if a daemon holds it.

    A daemon whose socket file was deleted binds it again within its socket check
    (or exits when it cannot): while the file is missing, this waits up to
    ``wait_seconds`` for either, instead of refusing at once in favour of a daemon
    nobody can reach. A callable is asked only then (it may read the configuration).
    """
    deadline: float | None = None
    while True:
        try:
            lock.acquire()
            return
        except AlreadyRunning as exc:
            if socket_path.exists():
                raise
            if deadline is None:
                wait_seconds = wait_seconds() if callable(wait_seconds) else wait_seconds
                deadline = time.monotonic() + wait_seconds
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


def configured_socket_check() -> float:
    """``[daemon] socket_check_seconds`` from the configuration (its default if the file is unusable)."""
    from sidecar.config.settings import ConfigError, load_settings

    try:
        return load_settings().socket_check_seconds
    except ConfigError:
        return DEFAULT_SOCKET_CHECK_S


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sidecar", description="Run the memory daemon in the foreground.")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"])
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR")
    options = parser.parse_args(argv)
    setup_logging(options.log_level or "INFO")  # the configured level applies once the configuration is read
    return run(app_paths(os.environ), log_level=options.log_level)
