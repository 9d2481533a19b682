"""The seed's iron rule: the whole add/search flow, daemon included, talks to nothing but
loopback and its own ipc socket, and resolves no names. Traced with strace.

The test starts its own daemon: it must run under strace from its first system call."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import daemon_env
from sidecar.testing.waiting import ready_limit, wait_for_exit, wait_until
from sidecar_client.client import Client, daemon_listening
from sidecar_shared.paths import app_paths

pytestmark = pytest.mark.skipif(not shutil.which("strace"), reason="strace not installed (./dev.sh test installs it)")

CONNECT = re.compile(r"\b(connect|sendto|sendmsg|bind)\((\d+), (\{.*?\}|NULL)")


def foreign_destinations(trace: str) -> list[str]:
    """Every address in the trace that is neither a unix socket nor loopback."""
    bad = []
    for match in CONNECT.finditer(trace):
        address = match.group(3)
        if address == "NULL" or "AF_UNIX" in address or "AF_NETLINK" in address:
            continue
        if re.search(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|sin_addr=inet_addr\("0\.0\.0\.0"\)', address):
            continue
        bad.append(f"{match.group(1)}: {address}")
    return bad


@pytest.mark.slow
def test_add_and_search_make_no_outside_connection_and_no_dns(isolated_home: Path, tmp_path: Path):
    trace_file = tmp_path / "strace.txt"
    env = daemon_env(isolated_home)
    daemon = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=network", "-o", str(trace_file), sys.executable, "-m", "sidecar"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    paths = app_paths(env)
    try:
        def listening() -> bool:
            assert daemon.poll() is None, "the daemon exited under strace"
            return daemon_listening(paths.socket_path)

        wait_until(listening, what="the traced daemon to listen")
        client_script = (
            "from sidecar_client.client import Client\n"
            "c = Client(timeout=30)\n"
            "c.add('I am allergic to peanuts', user_id='alice')\n"
            "print(c.search('dinner ideas?', filters={'user_id': 'alice'})['results'][0]['memory'])\n")
        client_trace = tmp_path / "client-strace.txt"
        out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=network", "-o", str(client_trace),
                              sys.executable, "-c", client_script], env=env, capture_output=True, text=True,
                             timeout=ready_limit())
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "I am allergic to peanuts"
        os.kill(Client(paths).status()["pid"], signal.SIGTERM)  # the traced daemon, not strace itself
        assert wait_for_exit(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    trace = trace_file.read_text() + client_trace.read_text()
    assert "connect(" in trace, "strace recorded nothing: the trace is not working"
    assert str(paths.socket_path) in trace  # the ipc socket is visible in the trace
    assert foreign_destinations(trace) == []
    assert not re.search(r"htons\(53\)", trace), "a DNS lookup was attempted"
    assert not (Path(env["HOME"]) / ".mem0").exists()  # importing mem0 did not write into $HOME
    assert (paths.data_dir / "mem0").is_dir()  # mem0 kept its state inside our data dir


def test_foreign_destination_detector_flags_outside_addresses():
    sample = ('123 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("140.82.1.1")}, 16)\n'
              '124 connect(6, {sa_family=AF_UNIX, sun_path="/tmp/x.sock"}, 110)\n'
              '125 connect(7, {sa_family=AF_INET, sin_port=htons(11434), sin_addr=inet_addr("127.0.0.1")}, 16)\n')
    assert foreign_destinations(sample) == [
        'connect: {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("140.82.1.1")}']
