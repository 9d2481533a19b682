"""A deleted socket file is bound again; SIGTERM answers queued work ``shutting_down`` and is bounded by
``[daemon] drain_seconds``; a write resent after a restart is not applied twice.

Each test starts its own daemon: signals, restarts and the socket file are what is under test.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import msgpack
import zmq

from sidecar.testing.daemons import daemon_env, running_daemon, start_daemon, write_config
from sidecar.testing.waiting import ready_limit, wait_for_exit, wait_until
from sidecar_client.client import Client
from sidecar_shared import exitcodes
from sidecar_shared.errors import SidecarError


def dealer(endpoint: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(endpoint)
    return sock


def frame(op: str, args: dict, request_id: str) -> bytes:
    return msgpack.packb({"v": 1, "id": request_id, "op": op, "args": args})


def receive(sock: zmq.Socket) -> dict:
    assert sock.poll(int(ready_limit() * 1000)), "no reply"
    return msgpack.unpackb(sock.recv(), raw=False)


def answers(client: Client) -> bool:
    try:
        return client.ping(timeout=2)["pong"] is True
    except SidecarError:
        return False


def test_a_deleted_socket_file_is_bound_again(isolated_home):
    write_config(isolated_home, "[daemon]\nsocket_check_seconds = 0.2\n")
    with running_daemon(isolated_home) as daemon:
        daemon.client.add("I keep bees", user_id="sock")
        daemon.paths.socket_path.unlink()
        fresh = Client(daemon.paths, timeout=5, retries=0)
        wait_until(lambda: answers(fresh), what="the daemon to bind its socket again")
        assert fresh.search("bees", filters={"user_id": "sock"})["results"][0]["memory"] == "I keep bees"
        assert fresh.status()["socket_rebinds"] >= 1
        fresh.close()
        assert "binding it again" in daemon.log()


def test_a_new_daemon_is_not_refused_in_favour_of_one_nobody_can_reach(isolated_home):
    # checks rare enough that the new daemon starts while the socket file is missing
    write_config(isolated_home, "[daemon]\nsocket_check_seconds = 3\n")
    with running_daemon(isolated_home) as first:
        first.paths.socket_path.unlink()
        second = subprocess.run([sys.executable, "-m", "sidecar", "serve"], env=daemon_env(isolated_home),
                                capture_output=True, text=True, timeout=ready_limit())
        # it waited for the first one to bind again, and only then left: someone serves the store
        assert second.returncode == exitcodes.ALREADY_RUNNING, second.stderr
        assert first.paths.socket_path.exists()
        assert first.client.ping()["pid"] == first.pid


def test_sigterm_answers_queued_and_new_requests_shutting_down_and_finishes_the_running_one(isolated_home):
    with running_daemon(isolated_home) as daemon:
        sock = dealer(daemon.paths.endpoint)
        batch = [{"role": "user", "content": f"fact number {i} about my orchard"} for i in range(400)]
        sock.send(frame("add", {"messages": batch, "user_id": "drain"}, "running"))
        sock.send(frame("add", {"messages": "queued behind it", "user_id": "drain"}, "queued"))
        # the write lane, not in_flight: in_flight counts the status read that asks
        wait_until(lambda: daemon.writes_running() >= 1 and not sock.poll(0),
                   interval=0.01, what="the first add to run")
        daemon.process.send_signal(signal.SIGTERM)
        first = receive(sock)
        assert (first["id"], first["ok"], first["error"]["code"]) == ("queued", False, "shutting_down")
        late = dealer(daemon.paths.endpoint)
        late.send(frame("search", {"query": "orchard", "filters": {"user_id": "drain"}}, "late"))
        refused = receive(late)
        assert refused["error"]["code"] == "shutting_down"
        finished = receive(sock)
        assert finished["id"] == "running" and finished["ok"] and len(finished["result"]["results"]) == 400
        sock.close()
        late.close()
        assert wait_for_exit(daemon.process) == 0


def test_sigterm_waits_for_running_work_at_most_drain_seconds(isolated_home):
    write_config(isolated_home, "[daemon]\ndrain_seconds = 0.2\n")
    daemon = start_daemon(isolated_home)
    try:
        sock = dealer(daemon.paths.endpoint)
        batch = [{"role": "user", "content": f"note {i}: the long list of things in my shed"} for i in range(2000)]
        sock.send(frame("add", {"messages": batch, "user_id": "cut"}, "long"))
        wait_until(lambda: daemon.writes_running() >= 1, interval=0.01, what="the add to run")
        daemon.process.send_signal(signal.SIGTERM)
        assert wait_for_exit(daemon.process) == 0
        assert not sock.poll(0)  # it left without the reply of the add it abandoned
        sock.close()
        assert "did not finish within 0.2s" in daemon.log()
    finally:
        daemon.stop()
    with running_daemon(isolated_home) as again:  # and the store opens fine afterwards
        stored = again.client.get_all(filters={"user_id": "cut"}, top_k=5000)["results"]
        assert len(stored) < 2000  # the daemon did not wait for the whole add


def test_a_write_resent_after_a_restart_is_not_applied_twice(isolated_home):
    update = frame("session.update", {"session_id": "s-restart", "user_id": "ana",
                                      "messages": [{"role": "user", "content": "my bike is blue"}]}, "resend-me")
    with running_daemon(isolated_home) as daemon:
        sock = dealer(daemon.paths.endpoint)
        sock.send(update)
        first = receive(sock)
        sock.close()
        assert first["ok"], first
    with running_daemon(isolated_home) as daemon:
        sock = dealer(daemon.paths.endpoint)
        sock.send(update)  # the client timed out before the restart and resends the same request
        again = receive(sock)
        sock.close()
        assert again == first
        messages = daemon.client.call("session.show", {"session_id": "s-restart", "user_id": "ana"})["messages"]
        assert [m["content"] for m in messages].count("my bike is blue") == 1
