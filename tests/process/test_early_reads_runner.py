"""EarlyReads in-process: requests run on its threads, replies and access lines come back on the caller's."""

from __future__ import annotations

import select

from sidecar.process.early_reads import EarlyReads
from sidecar.rpc.dispatch import OpTable
from sidecar.testing.waiting import ready_limit
from sidecar_shared import protocol


def table() -> OpTable:
    ops = OpTable()
    ops.register("search", lambda args: {"results": [args["query"].upper()]}, write=False)

    def get(args):
        raise ValueError("memory not found")

    ops.register("get", get, write=False)
    return ops


def frame(op: str, args: dict, request_id: str) -> bytes:
    return protocol.pack(protocol.request(op, args, request_id))


def test_replies_come_back_through_collect_with_the_server_error_codes():
    reads = EarlyReads(table())
    assert reads.takes("search") and reads.takes("get") and not reads.takes("add") and not reads.takes(None)
    reads.submit([b"client-a"], frame("search", {"query": "bike"}, "r1"))
    reads.submit([b"client-b"], frame("get", {"memory_id": "x"}, "r2"))
    replies: dict[bytes, dict] = {}
    while len(replies) < 2:
        assert select.select([reads.fd], [], [], ready_limit())[0], "no reply woke the poll"
        replies.update({envelope[0]: protocol.unpack(reply) for envelope, reply in reads.collect()})
    assert replies[b"client-a"]["id"] == "r1" and replies[b"client-a"]["result"] == {"results": ["BIKE"]}
    assert replies[b"client-b"]["error"]["code"] == "not_found"
    assert (reads.in_flight, reads.answered, reads.access.errors) == (0, 2, 1)
    assert reads.finish(ready_limit()) == []
