"""The in-memory store of op-level tests: its search scores and what it records for assertions."""

from __future__ import annotations

from sidecar.testing.fake_store import FakeStore

ANA = {"user_id": "ana"}


def test_hits_score_by_shared_words_or_all_alike_when_told() -> None:
    for store, expected in ((FakeStore(), [1.0, 0.0]), (FakeStore(score=0.9), [0.9, 0.9])):
        store.add("likes green tea", user_id="ana")
        store.add("drives a volvo", user_id="ana")
        store.add("likes green tea", user_id="bo")
        hits = store.search("green tea", filters=ANA, top_k=5)["results"]
        assert sorted((h["score"] for h in hits), reverse=True) == expected
        assert store.searches == [{"filters": ANA, "top_k": 5}]


def test_only_the_callers_scope_locks_are_recorded_and_rows_are_the_live_memories() -> None:
    store = FakeStore()
    with store.scope_lock(ANA):
        added = store.add("likes green tea", user_id="ana")["results"][0]["id"]
        store.update(added, text="likes black tea")
    doomed = store.add("drives a volvo", user_id="ana")["results"][0]["id"]
    store.delete(doomed)
    assert store.locked_scopes == [ANA]  # the store's own locks for add/update/delete are not the caller's
    assert list(store.rows) == [added] and store.rows[added]["memory"] == "likes black tea"
