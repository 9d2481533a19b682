"""sd_notify messages reach a real AF_UNIX datagram socket, as systemd would receive them."""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid

import pytest

from sidecar.process import notify

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs unix sockets")


def _fields(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode("utf-8")
    return dict(line.split("=", 1) for line in data.split("\n"))


@pytest.fixture
def manager(tmp_path, monkeypatch):
    """A datagram socket standing in for the service manager, bound to a file."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_ready_arrives_with_status(manager):
    assert notify.ready("serving 12 memories") is True
    assert _fields(manager) == {"READY": "1", "STATUS": "serving 12 memories"}


def test_ready_status_is_kept_on_one_line(manager):
    assert notify.ready("line one\nline two")
    assert _fields(manager)["STATUS"] == "line one line two"


def test_stopping_arrives(manager):
    assert notify.stopping() is True
    assert _fields(manager) == {"STOPPING": "1"}


def test_reloading_carries_current_monotonic_usec(manager):
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert notify.reloading() is True
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    fields = _fields(manager)
    assert fields["RELOADING"] == "1"
    assert before <= int(fields["MONOTONIC_USEC"]) <= after


def test_watchdog_ping_arrives(manager):
    assert notify.watchdog_ping() is True
    assert _fields(manager) == {"WATCHDOG": "1"}


def test_each_call_is_one_datagram(manager):
    notify.ready()
    notify.stopping()
    assert manager.recv(4096) == b"READY=1"
    assert manager.recv(4096) == b"STOPPING=1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux-only")
def test_abstract_namespace_socket(monkeypatch):
    name = f"agent-memory-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify.ready() is True
        assert sock.recv(4096) == b"READY=1"


def test_not_under_systemd_returns_false(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.notify("READY=1") is False
    assert notify.ready() is False
    assert notify.watchdog_ping() is False


def test_missing_socket_file_returns_false_without_raising(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens.sock"))
    assert notify.stopping() is False


def test_unsupported_address_and_bad_fields_return_false(manager, monkeypatch):
    assert notify.notify("READY=1\nSTOPPING=1") is False
    assert notify.notify("READY") is False
    assert notify.notify() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert notify.notify("READY=1") is False


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("30000000", None, 15.0),
        ("30000000", "self", 15.0),
        ("1000000", "self", 0.5),
        ("30000000", "other", None),  # inherited from another process
        ("30000000", "junk", None),
        ("0", None, None),
        ("-5", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_watchdog_interval(monkeypatch, usec, pid, expected):
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            pids = {"self": str(os.getpid()), "other": str(os.getpid() + 1)}
            monkeypatch.setenv(name, pids.get(value, value))
    assert notify.watchdog_interval() == expected
