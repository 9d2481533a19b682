"""Waiting in tests on conditions, never on the clock, with one limit sized for a loaded machine.

A test that waits for something asynchronous (a daemon becoming ready, a process
exiting after a signal, a background effect becoming visible) polls an
observable condition at a short interval and returns as soon as it holds. The
limit only decides when a condition that never comes is reported as a failure,
so it can be generous without slowing down a passing run::

    from sidecar.testing.waiting import wait_until

    memories = wait_until(lambda: client.get_all(filters={"user_id": "ana"})["results"],
                          what="the transcript to be learned")

Environment:

``SIDECAR_TEST_READY_S``
    Upper bound, in seconds, of every such wait: daemon readiness
    (:func:`sidecar.testing.daemons.start_daemon`), exit after a signal
    (:meth:`~sidecar.testing.daemons.DaemonProcess.stop`), :func:`wait_until`
    and :func:`wait_for_exit`. Default 600: a daemon imports mem0 and
    chromadb, which takes about 12 s on an idle 2-core box and up to two
    minutes under load. It is a limit, not a duration.

Nothing heavy is imported here.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

READY_ENV = "SIDECAR_TEST_READY_S"
DEFAULT_READY_S = 600.0
POLL_S = 0.05

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A waited-for condition did not hold within the limit (a test failure, hence an AssertionError)."""


def ready_limit() -> float:
    """The limit of every wait in seconds: ``$SIDECAR_TEST_READY_S``, else 600."""
    raw = os.environ.get(READY_ENV, "").strip()
    if not raw:
        return DEFAULT_READY_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{READY_ENV} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{READY_ENV} must be positive, not {raw!r}")
    return value


def wait_until(predicate: Callable[[], T], *, limit: float | None = None, interval: float = POLL_S,
               what: str = "the condition") -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy, and return that.

    Raises :class:`WaitTimeout` naming ``what`` after ``limit`` seconds (default :func:`ready_limit`).
    Exceptions from ``predicate`` propagate: a predicate can fail a wait early when it sees that the
    condition can no longer come (a process that exited, a reply that arrived too soon).
    """
    limit = ready_limit() if limit is None else limit
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {limit:g}s waiting for {what} (raise {READY_ENV} on a slow machine)")
        time.sleep(interval)


def wait_for_exit(process: subprocess.Popen, *, limit: float | None = None) -> int:
    """Wait for ``process`` to exit and return its exit code; :class:`WaitTimeout` after ``limit`` seconds."""
    limit = ready_limit() if limit is None else limit
    try:
        return process.wait(limit)
    except subprocess.TimeoutExpired:
        raise WaitTimeout(f"process {process.pid} did not exit within {limit:g}s "
                          f"(raise {READY_ENV} on a slow machine)") from None
