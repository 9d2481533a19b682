"""The shipped test helpers (sidecar.testing): waiting on conditions, and a daemon start that fails fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonStartError, start_daemon, write_config
from sidecar.testing.waiting import READY_ENV, WaitTimeout, ready_limit, wait_for_exit, wait_until


def test_ready_limit_defaults_to_ten_minutes_and_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(READY_ENV, raising=False)
    assert ready_limit() == 600.0
    monkeypatch.setenv(READY_ENV, "1800")
    assert ready_limit() == 1800.0
    for bad in ("soon", "0", "-5"):
        monkeypatch.setenv(READY_ENV, bad)
        with pytest.raises(ValueError, match=READY_ENV):
            ready_limit()


def test_wait_until_returns_the_first_truthy_value() -> None:
    answers = iter([None, [], {"done": 3}])
    assert wait_until(lambda: next(answers), interval=0) == {"done": 3}


def test_wait_until_names_what_never_came() -> None:
    calls = []
    with pytest.raises(WaitTimeout, match="the queue to drain") as info:
        wait_until(lambda: calls.append(1), limit=0.2, interval=0.01, what="the queue to drain")
    assert len(calls) > 1 and READY_ENV in str(info.value)  # it polled, then said how to wait longer
    assert isinstance(info.value, AssertionError)  # reported as a test failure, not an error


def test_wait_for_exit_returns_the_code_or_fails_at_the_limit() -> None:
    quick = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert wait_for_exit(quick) == 3
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        with pytest.raises(WaitTimeout, match=str(stuck.pid)):
            wait_for_exit(stuck, limit=0.2)
    finally:
        stuck.kill()
        stuck.wait()


def test_a_daemon_that_exits_fails_the_start_at_once(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READY_ENV, "86400")  # only the exit can end this wait before pytest-timeout does
    write_config(isolated_home, "[daemon\n")
    with pytest.raises(DaemonStartError, match="exited with") as info:
        start_daemon(isolated_home)
    assert "config" in str(info.value).lower()  # the daemon's log comes with the error
