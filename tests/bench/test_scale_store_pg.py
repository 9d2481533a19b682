"""bench/scale_store_pg.py: a pgvector store copied from a cached Chroma store holds what a daemon writes itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

TEXTS = [f"note {n}: the {word} meeting moved to {day}" for n, (word, day) in enumerate(
    zip(["budget", "design", "hiring", "roadmap", "security", "launch", "travel", "garden"],
        ["Monday", "Tuesday", "Friday", "March", "noon", "Lisbon", "the lab", "spring"]))]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_store_copied_from_chroma_matches_one_the_daemon_filled(tmp_path: Path, monkeypatch, pg_server):
    del pg_server  # only to skip, with the reason, where no PostgreSQL can start; the copy starts its own
    import psycopg
    import scale_store
    from scale_store_pg import DATABASE, pg_daemon_on, pg_snapshot

    monkeypatch.setattr(scale_store, "CACHE", tmp_path / "cache")
    snapshot, build = pg_snapshot(TEXTS, len(TEXTS), log=lambda _: None)
    assert (build["memories"], build["history_rows"]) == (len(TEXTS), len(TEXTS))
    assert pg_snapshot(TEXTS, len(TEXTS), log=lambda _: None) == (snapshot, None)  # cached now

    with pg_daemon_on(snapshot) as (daemon, server):
        client = daemon.client
        client.add([{"role": "user", "content": t} for t in TEXTS], user_id="direct")  # the daemon's own write
        found = client.search("when is the hiring meeting", filters={"user_id": scale_store.USER}, top_k=3)
        assert found["results"][0]["memory"] == TEXTS[2]
        with psycopg.connect(server.dsn_of(DATABASE)) as conn:
            payloads = {user: [p for (p,) in conn.execute(
                "SELECT payload FROM memories WHERE payload->>'user_id' = %s", (user,))]
                for user in (scale_store.USER, "direct")}
            keywords = {user: conn.execute(
                "SELECT text, context, agent_id, run_id FROM sidecar_keywords WHERE user_id = %s ORDER BY touched",
                (user,)).fetchall() for user in (scale_store.USER, "direct")}
            history = conn.execute("SELECT count(*), count(DISTINCT memory_id) FROM sidecar_history "
                                   "WHERE event = 'ADD'").fetchone()
            stats = conn.execute("SELECT count(*), sum(docs) FROM sidecar_keyword_stats").fetchone()
    copied, direct = payloads[scale_store.USER], payloads["direct"]
    assert sorted(p["data"] for p in copied) == sorted(TEXTS)
    assert [sorted(p) for p in copied] == [sorted(p) for p in direct]  # the same payload keys, row for row
    assert keywords[scale_store.USER] == keywords["direct"]  # text, context (the date), scope, in add order
    assert history == (2 * len(TEXTS), 2 * len(TEXTS))
    assert stats == (1 + len(TEXTS), 2 * len(TEXTS))  # the copy's rows folded into one, then one per daemon write
