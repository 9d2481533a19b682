"""The daemon answers at once and loads behind its socket (sidecar.process.front).

``SIDECAR_START_HOLD`` keeps the daemon in its loading phase until a file exists,
so each test observes "starting" deterministically, without any clock.
"""

from __future__ import annotations

import signal
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from sidecar.process.daemon import HOLD_ENV
from sidecar.testing.daemons import DaemonProcess, short_home, start_daemon
from sidecar.testing.waiting import ready_limit, wait_for_exit, wait_until
from sidecar_client.client import Client
from sidecar_shared.errors import RequestFailed


def held_daemon() -> tuple[DaemonProcess, Path]:
    """A daemon whose parts are not built until the returned file exists."""
    home = short_home("sfr-")
    (home / "user-home").mkdir()
    release = home / "release"
    daemon = start_daemon(home, env={"HOME": str(home / "user-home"), HOLD_ENV: str(release)}, loaded=False)
    return daemon, release


def held_requests(daemon: DaemonProcess) -> int:
    status = daemon.client.status()
    assert status["state"] == "starting"
    return int(status["held_requests"])


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def in_thread(pool: ThreadPoolExecutor, daemon: DaemonProcess, op: str, args: dict) -> Future:
    """``op`` from its own client, never retried: it must wait for its one reply."""

    def call() -> dict:
        with Client(daemon.paths, timeout=ready_limit(), retries=0) as client:
            return client.call(op, args)

    return pool.submit(call)


def test_ping_and_status_answer_while_loading_and_held_ops_run_after(pool):
    daemon, release = held_daemon()
    try:
        pong = daemon.client.ping()
        assert pong["pong"] is True and pong["state"] == "starting"
        add = in_thread(pool, daemon, "add", {"messages": "I keep my bike in the cellar", "user_id": "ana"})
        wait_until(lambda: held_requests(daemon) == 1, what="the add to be held")
        assert not add.done()  # held while loading: no reply, no error
        search = in_thread(pool, daemon, "search", {"query": "bike", "filters": {"user_id": "ana"}})
        wait_until(lambda: held_requests(daemon) == 2, what="the search to be held")
        release.touch()
        added = add.result(timeout=ready_limit())["results"][0]
        assert added["memory"] == "I keep my bike in the cellar"
        search.result(timeout=ready_limit())  # answered (after the add, which arrived first)
        assert daemon.client.search("bike", filters={"user_id": "ana"})["results"][0]["id"] == added["id"]
        assert daemon.client.status()["state"] == "ready"
        assert daemon.client.ping().get("state") != "starting"
    finally:
        release.touch()
        daemon.stop()


def test_sigterm_while_loading_answers_held_requests_and_exits(pool):
    daemon, release = held_daemon()
    try:
        search = in_thread(pool, daemon, "search", {"query": "bike", "filters": {"user_id": "ana"}})
        wait_until(lambda: held_requests(daemon) == 1, what="the search to be held")
        daemon.process.send_signal(signal.SIGTERM)
        with pytest.raises(RequestFailed) as refused:
            search.result(timeout=ready_limit())
        assert refused.value.code == "shutting_down"
        assert wait_for_exit(daemon.process) == 0
        assert not daemon.paths.socket_path.exists()
    finally:
        release.touch()
        daemon.stop()
