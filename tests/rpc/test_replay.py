"""The replay cache: keyed by id and request digest, bounded by bytes."""

from __future__ import annotations

from sidecar.rpc.replay import ReplayCache, request_digest

ENVELOPE = [b"client"]


def test_same_id_same_request_replays_the_first_reply():
    cache = ReplayCache()
    digest = request_digest(b"add tea")
    assert cache.seen("r1", digest, ENVELOPE).state == "new"
    cache.start("r1", digest)
    assert cache.seen("r1", digest, [b"resend"]).state == "waiting"
    assert cache.finish("r1", b"reply", cache=True) == [[b"resend"]]
    seen = cache.seen("r1", digest, ENVELOPE)
    assert (seen.state, seen.reply) == ("replay", b"reply")


def test_same_id_different_request_is_refused_not_replayed():
    cache = ReplayCache()
    cache.start("r1", request_digest(b"add tea"))
    assert cache.seen("r1", request_digest(b"add coffee"), ENVELOPE).state == "reused"
    cache.finish("r1", b"reply", cache=True)
    assert cache.seen("r1", request_digest(b"add coffee"), ENVELOPE).state == "reused"


def test_failed_writes_are_not_cached():
    cache = ReplayCache()
    digest = request_digest(b"x")
    cache.start("r1", digest)
    cache.finish("r1", b"error", cache=False)
    assert cache.seen("r1", digest, ENVELOPE).state == "new"


def test_the_cache_is_bounded_by_bytes():
    cache = ReplayCache(max_bytes=100_000, max_entries=10_000, max_entry_bytes=50_000)
    for n in range(100):
        digest = request_digest(str(n).encode())
        cache.start(f"r{n}", digest)
        cache.finish(f"r{n}", b"x" * 10_000, cache=True)
    assert cache.bytes <= 100_000
    assert len(cache) < 10
    newest = cache.seen("r99", request_digest(b"99"), ENVELOPE)
    assert newest.state == "replay"


def test_a_reply_too_large_to_keep_is_remembered_by_digest():
    cache = ReplayCache(max_bytes=1_000_000, max_entry_bytes=1000)
    digest = request_digest(b"big")
    cache.start("big", digest)
    cache.finish("big", b"y" * 5000, cache=True)
    assert cache.bytes < 1000
    assert cache.seen("big", digest, ENVELOPE).state == "applied"  # never applied twice
