"""One user's burst of writes does not starve the others: reads and other scopes' writes run beside it.

No timing: the burst is pipelined first, then the other user's requests are sent one by one;
they must all be answered (none ``busy``) while most of the burst is still unanswered.
``bench/fairness.py`` measures the latencies.
"""

from __future__ import annotations

import msgpack
import pytest
import zmq

from sidecar.testing.daemons import private_daemon
from sidecar.testing.waiting import ready_limit

BURST = 150
CONFIG = "[daemon]\nworkers = 4\nqueue_size = 1000\nqueue_per_key = 1000\n"


@pytest.fixture(scope="module")
def fair_daemon():
    with private_daemon(CONFIG, prefix="scf-") as daemon:
        yield daemon


def dealer(endpoint: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(endpoint)
    return sock


def call(sock: zmq.Socket, op: str, args: dict, request_id: str) -> dict:
    sock.send(msgpack.packb({"v": 1, "id": request_id, "op": op, "args": args}))
    assert sock.poll(int(ready_limit() * 1000)), f"no reply to {op}"
    return msgpack.unpackb(sock.recv(), raw=False)


def test_reads_and_other_scopes_are_served_during_a_burst_of_writes(fair_daemon):
    fair_daemon.client.add("I grow tomatoes on my balcony", user_id="reader")
    burst = dealer(fair_daemon.paths.endpoint)
    for n in range(BURST):
        message = f"I moved to flat number {n} last spring and I like its {n % 7} windows"
        burst.send(msgpack.packb({"v": 1, "id": f"burst-{n}", "op": "add",
                                  "args": {"messages": message, "user_id": "burster", "infer": True}}))
    burst_replies: list[dict] = []

    def collect_burst() -> None:
        while burst.poll(0):
            burst_replies.append(msgpack.unpackb(burst.recv(), raw=False))

    other = dealer(fair_daemon.paths.endpoint)
    codes = []
    for n in range(5):
        for op, args in [("search", {"query": "balcony plants", "filters": {"user_id": "reader"}}),
                         ("get_all", {"filters": {"user_id": "reader"}}),
                         ("context", {"query": "what do I grow?", "user_id": "reader"}),
                         ("status", {})]:
            reply = call(other, op, args, f"{op}-{n}")
            codes.append("ok" if reply["ok"] else reply["error"]["code"])
        collect_burst()
    write = call(other, "add", {"messages": "I also grow basil", "user_id": "reader"}, "neighbour-add")
    collect_burst()
    other.close()
    assert set(codes) == {"ok"}, codes  # no read refused busy, none failed
    assert write["ok"], write
    # all of that was answered while most of the burst still waited: nothing queued behind it
    assert len(burst_replies) < BURST // 2, f"{len(burst_replies)} of {BURST} burst writes were done first"

    while len(burst_replies) < BURST:
        assert burst.poll(int(ready_limit() * 1000)), "the burst did not finish"
        collect_burst()
    burst.close()
    assert all(reply["ok"] for reply in burst_replies), [r for r in burst_replies if not r["ok"]][:3]
    lanes = fair_daemon.client.status()["lanes"]
    assert lanes["read"]["refused_busy"] == 0


def test_the_daemons_chroma_database_is_in_wal_mode(fair_daemon):
    # a write in rollback-journal mode waits for three fsyncs while Chroma holds the GIL
    # (sidecar.store.chroma_journal); read the header only: Chroma has the file open
    fair_daemon.client.add("I keep bees", user_id="wal-check")
    header = (fair_daemon.paths.data_dir / "store" / "chroma" / "chroma.sqlite3").read_bytes()[:20]
    assert header[:16] == b"SQLite format 3\x00"
    assert (header[18], header[19]) == (2, 2), "not in WAL mode"
