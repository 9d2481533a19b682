"""While the store loads the daemon says so, and asks systemd for more start time."""

from __future__ import annotations

import logging
import socket

from sidecar.process import loading
from sidecar.testing.waiting import ready_limit


def test_loading_is_logged_and_extends_the_start_timeout(tmp_path, monkeypatch, caplog):
    address = tmp_path / "notify.sock"
    manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    manager.bind(str(address))
    manager.settimeout(ready_limit())
    monkeypatch.setenv("NOTIFY_SOCKET", str(address))
    with caplog.at_level(logging.INFO, logger="test-loading"):
        with loading.announced(logging.getLogger("test-loading"), tmp_path / "store"):
            first = manager.recv(4096).decode()  # sent when loading starts, before the block ends
    manager.close()
    assert f"EXTEND_TIMEOUT_USEC={int(loading.EXTEND_BY_S * 1_000_000)}" in first.splitlines()
    assert "STATUS=loading the memory store" in first.splitlines()
    assert any("loading the memory store in" in r.getMessage() and str(tmp_path / "store") in r.getMessage()
               for r in caplog.records)
