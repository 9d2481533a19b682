"""Start, stop, crash and restart a real daemon; single instance; permissions; back-pressure.

Every test here starts its own daemon on purpose: restarts, the store lock, signals and
special configs are what is under test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

import msgpack
import pytest
import zmq

from sidecar.testing.daemons import daemon_env, running_daemon
from sidecar.testing.waiting import ready_limit, wait_for_exit, wait_until
from sidecar_shared import exitcodes
from sidecar_client.client import Client
from sidecar_shared.errors import DaemonNotRunning
from sidecar_shared.paths import app_paths


def test_memories_persist_across_restarts(isolated_home):
    with running_daemon(isolated_home) as daemon:
        memory_id = daemon.client.add("I was born in Porto", user_id="alice")["results"][0]["id"]
    with running_daemon(isolated_home) as daemon:
        assert daemon.client.get(memory_id)["memory"] == "I was born in Porto"
        hits = daemon.client.search("birthplace", filters={"user_id": "alice"})["results"]
        assert hits[0]["id"] == memory_id


def test_second_daemon_on_the_same_store_is_refused(isolated_home):
    with running_daemon(isolated_home) as first:
        second = subprocess.run([sys.executable, "-m", "sidecar", "serve"], env=daemon_env(isolated_home),
                                capture_output=True, text=True, timeout=ready_limit())
        assert second.returncode == exitcodes.ALREADY_RUNNING
        assert f"PID {first.pid}" in second.stderr
        assert first.client.ping()["pong"] is True


def test_sigterm_exits_cleanly_and_removes_the_socket(isolated_home):
    with running_daemon(isolated_home) as daemon:
        daemon.client.add("I like tea", user_id="alice")
        code = daemon.stop(signal.SIGTERM)  # a daemon that ignored the signal would be killed at the limit: -9
        assert code == 0
        assert not daemon.paths.socket_path.exists()
        assert "memory daemon stopped" in daemon.log()


def test_sigterm_finishes_in_flight_work(isolated_home):
    with running_daemon(isolated_home) as daemon:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(daemon.paths.endpoint)
        # long enough (seconds) that SIGTERM, sent once the add is seen running, lands while it runs
        batch = [{"role": "user", "content": f"fact number {i} about my garden"} for i in range(1000)]
        sock.send(msgpack.packb({"v": 1, "id": "big", "op": "add", "args": {"messages": batch, "user_id": "g"}}))

        def add_running() -> bool:
            if sock.poll(0):
                raise AssertionError("the add finished before SIGTERM could be sent: make the batch larger")
            return daemon.writes_running() >= 1  # in_flight would count the status read too

        wait_until(add_running, interval=0.01, what="the add to be running")
        daemon.process.send_signal(signal.SIGTERM)
        assert sock.poll(int(ready_limit() * 1000)), "the in-flight add got no reply"
        reply = msgpack.unpackb(sock.recv(), raw=False)
        sock.close()
        assert reply["ok"] and len(reply["result"]["results"]) == 1000
        assert wait_for_exit(daemon.process) == 0
        # the signal reached the daemon while the add ran, not after it (a status read may still count too)
        running = re.search(r"finishing (\d+) running requests, refusing 0 queued", daemon.log())
        assert running and int(running.group(1)) >= 1, daemon.log()[-2000:]


def test_kill_9_then_restart_works(isolated_home):
    with running_daemon(isolated_home) as daemon:
        memory_id = daemon.client.add("I ride a red bicycle", user_id="alice")["results"][0]["id"]
        assert daemon.stop(signal.SIGKILL) == -signal.SIGKILL
    assert daemon.paths.socket_path.exists()  # the crash left it behind
    with pytest.raises(DaemonNotRunning):
        Client(daemon.paths, timeout=1).ping()
    with running_daemon(isolated_home) as again:
        assert again.client.get(memory_id)["memory"] == "I ride a red bicycle"
        assert "removing stale socket" in again.log()


class CountingContext:
    """A zmq context that counts the sockets a client opens."""

    def __init__(self) -> None:
        self.sockets = 0

    def socket(self, kind: int) -> zmq.Socket:
        self.sockets += 1
        return zmq.Context.instance().socket(kind)


def test_client_fails_fast_and_clearly_without_a_daemon(isolated_home):
    paths = app_paths()
    context = CountingContext()
    # an hour per attempt and retries: had the client sent anything, it would wait for a reply
    client = Client(paths, timeout=3600, retries=5, context=context)
    with pytest.raises(DaemonNotRunning, match="memctl serve"):
        client.search("anything", filters={"user_id": "alice"})
    assert context.sockets == 0, "the client opened a socket although nothing listens"
    memctl = os.path.join(os.path.dirname(sys.executable), "memctl")
    cli = subprocess.run([memctl, "search", "x"], capture_output=True, text=True, timeout=ready_limit())
    assert cli.returncode == exitcodes.DAEMON_DOWN
    assert "not running" in cli.stderr and "memctl serve" in cli.stderr and cli.stdout == ""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_runtime_dir_is_private_and_other_users_cannot_connect(isolated_home):
    with running_daemon(isolated_home) as daemon:
        runtime = daemon.paths.runtime_dir
        assert runtime.stat().st_mode & 0o777 == 0o700
        isolated_home.chmod(0o755)  # only the runtime dir stands in the way now
        probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
                 "try:\n    s.connect(sys.argv[1])\nexcept PermissionError:\n    sys.exit(13)\nsys.exit(0)\n")
        other = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                "/usr/bin/python3", "-c", probe, str(daemon.paths.socket_path)])
        assert other.returncode == 13
        assert daemon.client.ping()["pong"] is True


def test_full_queue_answers_busy_instead_of_hanging(isolated_home):
    config = app_paths().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[daemon]\nworkers = 1\nqueue_size = 1\n")
    with running_daemon(isolated_home) as daemon:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(daemon.paths.endpoint)
        for n in range(8):
            batch = [{"role": "user", "content": f"batch {n} fact {i}"} for i in range(150)]
            sock.send(msgpack.packb({"v": 1, "id": f"b{n}", "op": "add",
                                     "args": {"messages": batch, "user_id": "busy"}}))
        codes = []
        while len(codes) < 8 and sock.poll(int(ready_limit() * 1000)):
            reply = msgpack.unpackb(sock.recv(), raw=False)
            codes.append("ok" if reply["ok"] else reply["error"]["code"])
        sock.close()
        assert len(codes) == 8 and "busy" in codes and "ok" in codes
        assert set(codes) <= {"ok", "busy"}
        assert daemon.client.status()["queue_depth"] == 0


def test_bad_config_exits_with_the_config_code(isolated_home):
    config = app_paths().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[daemon\n")
    result = subprocess.run([sys.executable, "-m", "sidecar"], env=daemon_env(isolated_home),
                            capture_output=True, text=True, timeout=ready_limit())
    assert result.returncode == exitcodes.CONFIG and "config" in result.stderr.lower()
