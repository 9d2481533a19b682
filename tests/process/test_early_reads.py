"""Reads are answered while the writes' part still loads (sidecar.process.early_reads, sidecar.composition_reads).

``SIDECAR_START_HOLD`` keeps the whole build waiting and ``SIDECAR_WRITES_HOLD`` keeps it
waiting after the store's reads are open, so each test sees one phase of the start
deterministically, without any clock.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from sidecar.process.daemon import HOLD_ENV, WRITES_HOLD_ENV
from sidecar.testing.daemons import DaemonProcess, short_home, start_daemon
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_cli.doctor import probe_daemon
from sidecar_client.client import Client

STORED = "I keep my bike in the cellar"


@pytest.fixture(scope="module")
def home() -> Path:
    """A store holding one memory of ana's (written by a daemon that is stopped again)."""
    home = short_home("ser-")
    (home / "user-home").mkdir()
    daemon = start_daemon(home, env={"HOME": str(home / "user-home")})
    try:
        daemon.client.add(STORED, user_id="ana")
    finally:
        daemon.stop()
    return home


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=3) as executor:
        yield executor


def held_start(home: Path, *holds: str) -> tuple[DaemonProcess, dict[str, Path]]:
    """A daemon on ``home`` waiting at each hold (HOLD_ENV, WRITES_HOLD_ENV) until its file exists."""
    files = {name: home / f"release-{name}" for name in holds}
    for file in files.values():
        file.unlink(missing_ok=True)
    env = {"HOME": str(home / "user-home"), **{name: str(file) for name, file in files.items()}}
    return start_daemon(home, env=env, loaded=False), files


def in_thread(pool: ThreadPoolExecutor, daemon: DaemonProcess, op: str, args: dict) -> Future:
    """``op`` from its own client, never retried: it must wait for its one reply."""

    def call() -> dict:
        with Client(daemon.paths, timeout=ready_limit(), retries=0) as client:
            return client.call(op, args)

    return pool.submit(call)


def loading(daemon: DaemonProcess) -> dict:
    status = daemon.client.status()
    assert status["state"] == "starting"
    return status["loading"]


def test_search_is_answered_before_a_write_sent_earlier_and_the_write_applies_once_loaded(home, pool):
    daemon, release = held_start(home, WRITES_HOLD_ENV)
    try:
        add = in_thread(pool, daemon, "add", {"messages": "I ride to work on Mondays", "user_id": "ana"})
        wait_until(lambda: daemon.client.status()["held_requests"] == 1, what="the add to be held")
        found = in_thread(pool, daemon, "search", {"query": "where is the bike", "filters": {"user_id": "ana"}})
        hits = found.result(timeout=ready_limit())["results"]
        assert [hit["memory"] for hit in hits] == [STORED]
        assert not add.done()  # the writes' part is still held: the search did not wait for it
        assert loading(daemon) == {"reads": "ready", "writes": "loading"}
        _, check = probe_daemon(daemon.paths, timeout=ready_limit())
        assert check.status == "ok" and check.detail.endswith("starting (reads ready, writes loading)")
        got = daemon.client.get(hits[0]["id"])  # get is answered by the reads part too, in mem0's shape
        assert got["memory"] == STORED and got["user_id"] == "ana" and set(got) >= {"hash", "created_at", "metadata"}
        assert daemon.client.status()["early_reads"]["answered"] == 2
        release[WRITES_HOLD_ENV].touch()
        added = add.result(timeout=ready_limit())["results"]
        assert [(row["memory"], row["event"]) for row in added] == [("I ride to work on Mondays", "ADD")]
        ready = daemon.client.status()
        assert ready["state"] == "ready" and ready["loading"] == {"reads": "ready", "writes": "ready"}
        texts = [hit["memory"] for hit in daemon.client.search("ride to work", filters={"user_id": "ana"})["results"]]
        assert "I ride to work on Mondays" in texts
    finally:
        for file in release.values():
            file.touch()
        daemon.stop()


def test_searches_held_before_the_reads_open_are_answered_once_they_do(home, pool):
    daemon, release = held_start(home, HOLD_ENV, WRITES_HOLD_ENV)
    try:
        assert loading(daemon) == {"reads": "loading", "writes": "loading"}
        assert daemon.client.ping()["reads"] == "loading"
        search = in_thread(pool, daemon, "search", {"query": "bike", "filters": {"user_id": "ana"}})
        add = in_thread(pool, daemon, "add", {"messages": "I cycle in the rain", "user_id": "ana"})
        get_all = in_thread(pool, daemon, "get_all", {"filters": {"user_id": "ana"}})
        wait_until(lambda: daemon.client.status()["held_requests"] == 3, what="all three requests to be held")
        release[HOLD_ENV].touch()
        assert STORED in [hit["memory"] for hit in search.result(timeout=ready_limit())["results"]]
        listed = [row["memory"] for row in get_all.result(timeout=ready_limit())["results"]]
        assert STORED in listed and "I cycle in the rain" not in listed  # answered before the add, held still
        assert daemon.client.ping()["reads"] == "ready"
        assert not add.done() and daemon.client.status()["held_requests"] == 1
        release[WRITES_HOLD_ENV].touch()
        assert add.result(timeout=ready_limit())["results"][0]["event"] == "ADD"
    finally:
        for file in release.values():
            file.touch()
        daemon.stop()
