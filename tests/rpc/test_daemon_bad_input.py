"""Bad input gets an error reply with a stable code, and the daemon stays up."""

from __future__ import annotations

import msgpack
import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from sidecar.testing.waiting import ready_limit
from sidecar_shared import protocol


@pytest.fixture
def raw(shared_daemon):
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(shared_daemon.paths.endpoint)
    yield sock
    sock.close()


def exchange(sock: zmq.Socket, frame: bytes) -> dict | None:
    sock.send(frame)
    if not sock.poll(int(ready_limit() * 1000)):
        return None
    return msgpack.unpackb(sock.recv(), raw=False)


def request(op: str, args: object = None, **envelope: object) -> bytes:
    message = {"v": 1, "id": "req-1", "op": op, "args": {} if args is None else args}
    message.update(envelope)
    return msgpack.packb(message)


@pytest.mark.parametrize(
    "frame, code",
    [
        (b"\xc1 definitely not msgpack", "bad_frame"),
        (msgpack.packb("a string, not a map"), "bad_frame"),
        (request("ping", v=2), "bad_version"),
        (request("ping", id=""), "bad_request"),
        (request("frobnicate"), "unknown_op"),
        (request("add", {"messages": "no scope here"}), "missing_scope"),
        (request("add", {"messages": 42, "user_id": "alice"}), "bad_request"),
        (request("add", {"messages": [{"role": "user"}], "user_id": "alice"}), "bad_request"),
        (request("add", {"messages": "x", "user_id": 7}), "bad_request"),
        (request("search", {"query": "q", "filters": {"user_id": "a"}, "top_k": "ten"}), "bad_request"),
        (request("search", {"query": "q", "filters": {"user_id": "a"}, "top_k": 0}), "bad_request"),
        (request("search", {"query": "", "filters": {"user_id": "a"}}), "bad_request"),
        (request("get", {"memory_id": ["x"]}), "bad_request"),
        (request("update", {"memory_id": "missing-id", "text": "t"}), "not_found"),
        (request("update", {"memory_id": "some-id"}), "bad_request"),
        (request("delete_all", {}), "missing_scope"),
        (request("add", ["not", "a", "map"]), "bad_request"),
    ],
)
def test_each_bad_request_gets_a_stable_error_code(raw, shared_daemon, frame, code):
    reply = exchange(raw, frame)
    assert reply is not None, "no reply"
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert len(reply["error"]["message"]) > 10
    assert shared_daemon.client.ping()["pong"] is True


def test_error_reply_carries_the_request_id_when_it_can(raw):
    reply = exchange(raw, request("frobnicate", id="keep-me"))
    assert reply["id"] == "keep-me"


def test_oversized_request_is_refused_with_too_large(raw, shared_daemon):
    big = "x" * (protocol.MAX_REQUEST_BYTES + 10)
    reply = exchange(raw, request("add", {"messages": big, "user_id": "alice"}))
    assert reply["error"]["code"] == "too_large"
    assert shared_daemon.client.ping()["pong"] is True


def test_frame_over_the_hard_cap_is_dropped_and_the_daemon_stays_up(raw, shared_daemon):
    monitor = raw.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    try:
        raw.send(b"\x00" * (protocol.HARD_FRAME_LIMIT + 1))
        # libzmq drops the peer before the daemon sees the frame: the connection ends, with no reply on it
        assert monitor.poll(int(ready_limit() * 1000)), "the daemon kept the connection"
        assert recv_monitor_message(monitor)["event"] == zmq.EVENT_DISCONNECTED
        assert not raw.poll(0)
    finally:
        raw.disable_monitor()
        monitor.close(linger=0)
    assert shared_daemon.client.ping()["pong"] is True
    assert shared_daemon.process.poll() is None


@pytest.mark.parametrize("filters, code", [
    ({"user_id": "a", "x": [1, 2]}, "store_error"),      # Chroma: InvalidArgumentError
    ({"user_id": "a", "$bad": 1}, "store_error"),
    ({"user_id": "a", "x": {"in": "abc"}}, "bad_request"),  # mem0/Chroma ValueError
])
def test_store_exceptions_become_error_replies(raw, shared_daemon, filters, code):
    reply = exchange(raw, request("search", {"query": "q", "filters": filters}))
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert shared_daemon.client.ping()["pong"] is True


def test_client_refuses_oversized_requests_before_sending(shared_daemon):
    from sidecar_shared.errors import RequestFailed

    with pytest.raises(RequestFailed, match="too_large"):
        shared_daemon.client.add("y" * (protocol.MAX_REQUEST_BYTES + 1), user_id="alice")


# -- arguments that used to reach the lock key unchecked (a list is unhashable: the worker thread died) --

KEY_BREAKERS = [
    request("add", {"messages": "x", "user_id": ["a", "list"]}),
    request("add", {"messages": "x", "user_id": {"a": "map"}}),
    request("delete_all", {"agent_id": [1, 2]}),
    request("update", {"memory_id": ["m"], "text": "t"}),
    request("delete", {"memory_id": {"m": 1}}),
    request("session.update", {"session_id": {"s": 1}, "messages": [{"role": "user", "content": "hi"}]}),
    request("session.clear", {"session_id": ["s"]}),
]


def test_unhashable_ids_are_refused_and_no_worker_dies(raw, shared_daemon):
    workers = shared_daemon.client.status()["workers"]
    for _ in range(workers + 1):  # more than the pool has threads: each one used to kill one
        for frame in KEY_BREAKERS:
            reply = exchange(raw, frame)
            assert reply is not None, "no reply"
            assert reply["error"]["code"] == "bad_request", reply
    assert shared_daemon.client.search("tea", filters={"user_id": "after-breakers"}) == {"results": []}
    status = shared_daemon.client.status()
    assert status["workers_alive"] == workers and status["workers_replaced"] == 0
    assert shared_daemon.client.ping()["healthy"] is True


# -- protocol strictness -----------------------------------------------------------------

@pytest.mark.parametrize("frame, code", [
    (request("ping", v=1.0), "bad_version"),
    (request("ping", v=True), "bad_version"),
    (request("ping", v="1"), "bad_version"),
    (request("search\nforged=1 op=delete_all", {"query": "q", "filters": {"user_id": "a"}}), "bad_request"),
    (request("ping", id="x\nforged=1"), "bad_request"),
    (request("ping", id="x\u2028y"), "bad_request"),
    (request("search", {"query": "q", "filters": {"user_id": "bob\nforged=1"}}), "bad_request"),
    (request("add", {"messages": "m", "user_id": "bob\r\nforged=1"}), "bad_request"),
    (request("get", {"memory_id": "m\x00"}), "bad_request"),
])
def test_loose_versions_and_control_characters_are_refused(raw, shared_daemon, frame, code):
    reply = exchange(raw, frame)
    assert reply is not None and reply["ok"] is False and reply["error"]["code"] == code, reply
    assert not [line for line in shared_daemon.log().splitlines() if line.startswith("forged")]


# -- request ids: a resend is replayed, a reused id for another request is refused ----------

def test_a_reused_request_id_for_a_different_write_is_refused(raw, shared_daemon):
    first = exchange(raw, request("add", {"messages": "I like green tea", "user_id": "reuse"}, id="same-id"))
    assert first["ok"], first
    resent = exchange(raw, request("add", {"messages": "I like green tea", "user_id": "reuse"}, id="same-id"))
    assert resent == first  # the same request again: its first reply, not a second write
    other = exchange(raw, request("add", {"messages": "I like black coffee", "user_id": "reuse"}, id="same-id"))
    assert other["ok"] is False and other["error"]["code"] == "id_reused", other
    assert "nothing was applied" in other["error"]["message"]
    texts = [m["memory"] for m in shared_daemon.client.get_all(filters={"user_id": "reuse"})["results"]]
    assert texts == ["I like green tea"]
