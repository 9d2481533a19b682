"""Every op through a real daemon, checked against mem0's own results on the same store.

Each test runs on both store backends (embedded and PostgreSQL + pgvector, see
``backend_daemon`` / ``store_backend_config`` in tests/conftest.py).
"""

from __future__ import annotations

import pytest

from sidecar.testing.daemons import running_daemon, write_config
from sidecar_shared.errors import NotFound, RequestFailed

ALICE = ["I am allergic to peanuts", "I love spicy Thai food", "I work as a nurse in Lyon"]


def test_every_op_round_trips_and_matches_mem0(isolated_home, store_backend_config):
    if store_backend_config is not None:
        write_config(isolated_home, store_backend_config)
    with running_daemon(isolated_home) as daemon:
        client = daemon.client
        added = client.add(ALICE[0], user_id="alice", metadata={"kind": "health"})["results"]
        assert added[0]["event"] == "ADD" and added[0]["memory"] == ALICE[0]
        batch = client.add([{"role": "user", "content": t} for t in ALICE[1:]], user_id="alice")["results"]
        assert [r["memory"] for r in batch] == ALICE[1:]
        client.add("I have a dog named Rex", user_id="bob", agent_id="codex")
        ids = [added[0]["id"]] + [r["id"] for r in batch]

        got = client.get(ids[0])
        assert got["memory"] == ALICE[0] and got["user_id"] == "alice" and got["metadata"] == {"kind": "health"}
        assert client.get("00000000-0000-0000-0000-000000000000") is None

        listed = client.get_all(filters={"user_id": "alice"})["results"]
        assert sorted(m["id"] for m in listed) == sorted(ids)

        hits = client.search("what should I cook for dinner?", filters={"user_id": "alice"}, top_k=3)["results"]
        assert len(hits) == 3 and all(0 <= h["score"] <= 1 for h in hits)
        assert all(0 < h["score_details"]["dense"] <= 1 for h in hits)  # hybrid: fused score + channel scores
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        assert {h["id"] for h in hits} <= set(ids)

        assert client.update(ids[2], text="I work as a nurse in Paris")["message"]
        assert client.get(ids[2])["memory"] == "I work as a nurse in Paris"
        client.delete(ids[1])
        assert client.get(ids[1]) is None
        with pytest.raises(NotFound):
            client.delete(ids[1])
        with pytest.raises(NotFound):
            client.update("no-such-id", text="x")
        history = client.history(ids[2])
        assert [(h["event"], h["old_memory"], h["new_memory"]) for h in history] == [
            ("ADD", None, ALICE[2]), ("UPDATE", ALICE[2], "I work as a nurse in Paris")]

        final_search = client.search("allergy", filters={"user_id": "alice"}, top_k=5)
        final_list = client.get_all(filters={"user_id": "alice"})
        final_history = client.history(ids[2])
        assert client.delete_all(agent_id="codex")["message"]
        assert client.get_all(filters={"user_id": "bob"})["results"] == []

    # The daemon is gone, so mem0 may open the store here: it must agree with what the daemon said.
    from sidecar.config.settings import load_settings
    from sidecar.store.memory_store import MemoryStore

    store = MemoryStore(load_settings())
    try:
        assert store.get_all(filters={"user_id": "alice"}) == final_list
        # the daemon's history adds our provenance next to mem0's own fields
        assert store.history(ids[2]) == [{k: v for k, v in h.items() if k != "provenance"} for h in final_history]
        in_process = store.search("allergy", filters={"user_id": "alice"}, top_k=5)
        assert [(m["id"], round(m["score"], 5)) for m in in_process["results"]] == \
               [(m["id"], round(m["score"], 5)) for m in final_search["results"]]
    finally:
        store.close()


def test_users_never_see_each_others_memories(backend_daemon):
    client = backend_daemon.client
    client.add("My PIN hint is my cat's name", user_id="iso-alice")
    client.add("I collect stamps", user_id="iso-bob")
    alice_ids = {m["id"] for m in client.get_all(filters={"user_id": "iso-alice"})["results"]}
    bob_hits = client.search("cat name PIN hint", filters={"user_id": "iso-bob"}, top_k=50)["results"]
    assert alice_ids and not alice_ids & {h["id"] for h in bob_hits}
    assert all(h["user_id"] == "iso-bob" for h in bob_hits)


def test_scope_is_required(backend_daemon):
    client = backend_daemon.client
    for call in (lambda: client.add("orphan fact"), lambda: client.search("x"), lambda: client.get_all(),
                 lambda: client.delete_all(), lambda: client.search("x", filters={"role": "user"})):
        with pytest.raises(RequestFailed) as info:
            call()
        assert info.value.code == "missing_scope"


def test_retried_request_id_is_applied_once(backend_daemon):
    client = backend_daemon.client
    first = client.call("add", {"messages": "I retry things", "user_id": "retry"}, request_id="fixed-id-1")
    second = client.call("add", {"messages": "I retry things", "user_id": "retry"}, request_id="fixed-id-1")
    assert first == second and first["results"][0]["event"] == "ADD"
    client.call("add", {"messages": "Second fact", "user_id": "retry"}, request_id="fixed-id-2")
    replay = client.call("add", {"messages": "Second fact", "user_id": "retry"}, request_id="fixed-id-2")
    assert replay["results"][0]["event"] == "ADD"  # the first result, not a fresh dedup answer
    assert len(client.get_all(filters={"user_id": "retry"})["results"]) == 2
    assert client.status()["replayed"] >= 2


def test_status_reports_the_daemon(backend_daemon):
    status = backend_daemon.client.status()
    assert status["pid"] == backend_daemon.pid
    assert status["embedder"] == "all-MiniLM-L6-v2-int8" and status["dims"] == 384
    assert status["socket"] == str(backend_daemon.paths.socket_path)
    assert status["telemetry_off"] is True
    for key in ("version", "store_path", "memories", "uptime_s", "queue_depth", "in_flight"):
        assert key in status


def test_filters_narrow_search_and_listing_within_the_scope(backend_daemon):
    client = backend_daemon.client
    ids = {text: client.add(text, user_id="flt", agent_id=agent, run_id=run, metadata={"topic": topic})
           ["results"][0]["id"]
           for text, agent, run, topic in [("I water the tomatoes every morning", "garden", "r1", "plants"),
                                           ("I repot the basil in spring", "garden", "r2", "plants"),
                                           ("I renew my passport in May", "admin", "r1", "papers")]}
    client.add("I water the ferns every morning", user_id="flt-other", agent_id="garden")

    def listed(filters: dict) -> set[str]:
        return {m["id"] for m in client.get_all(filters=filters, top_k=50)["results"]}

    assert listed({"user_id": "flt"}) == set(ids.values())
    assert listed({"user_id": "flt", "agent_id": "garden"}) == {ids["I water the tomatoes every morning"],
                                                              ids["I repot the basil in spring"]}
    assert listed({"user_id": "flt", "run_id": "r1"}) == {ids["I water the tomatoes every morning"],
                                                        ids["I renew my passport in May"]}
    assert listed({"agent_id": "garden"}) >= {ids["I repot the basil in spring"]}  # any one scope id is a scope

    hits = client.search("water every morning", filters={"user_id": "flt", "run_id": "r1"}, top_k=10)["results"]
    assert hits[0]["id"] == ids["I water the tomatoes every morning"]
    assert {h["id"] for h in hits} <= {ids["I water the tomatoes every morning"], ids["I renew my passport in May"]}
    by_topic = client.search("what do I do in spring", filters={"user_id": "flt", "topic": "papers"},
                             top_k=10)["results"]  # a metadata condition narrows the scope further
    assert [h["id"] for h in by_topic] == [ids["I renew my passport in May"]]


def test_delete_all_clears_one_scope_and_history_keeps_the_story(backend_daemon):
    client = backend_daemon.client
    kept = client.add("I play chess on Sundays", user_id="del-keep")["results"][0]["id"]
    gone = [client.add(t, user_id="del-gone")["results"][0]["id"] for t in ("I bake bread", "I ski in March")]
    client.update(gone[0], text="I bake sourdough bread")
    assert client.delete_all(user_id="del-gone")["message"]
    assert client.get_all(filters={"user_id": "del-gone"})["results"] == []
    assert client.search("bread", filters={"user_id": "del-gone"})["results"] == []
    assert [m["id"] for m in client.get_all(filters={"user_id": "del-keep"})["results"]] == [kept]
    assert [h["event"] for h in client.history(gone[0])] == ["ADD", "UPDATE", "DELETE"]


def test_restore_undoes_an_update_and_brings_back_a_deleted_memory_by_a_short_id(backend_daemon):
    client = backend_daemon.client
    memory_id = client.add("I live in Lyon", user_id="rst")["results"][0]["id"]
    client.update(memory_id, text="I live in Nantes")
    assert client.call("restore", {"memory_id": memory_id})["undid"] == "UPDATE"
    assert client.get(memory_id)["memory"] == "I live in Lyon"
    client.delete(memory_id)
    back = client.call("restore", {"memory_id": memory_id[:8], "user_id": "rst"})  # a deleted id, by prefix
    assert back["undid"] == "DELETE" and client.get(back["id"])["memory"] == "I live in Lyon"
    assert [m["memory"] for m in client.search("where do I live", filters={"user_id": "rst"})["results"]] == [
        "I live in Lyon"]
