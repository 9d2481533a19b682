"""The scope of a read bounds its results, whatever else its filters say (issue 14, item 7)."""

from __future__ import annotations

import pytest

from sidecar.config.settings import load_settings
from sidecar.store.chroma_rows import scope_where
from sidecar.store.scope_filters import ScopeError, bind_filters, check_scope


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """One store with alice's and bob's rows, shared by the module (the tests only read)."""
    from sidecar.store.memory_store import MemoryStore

    home = tmp_path_factory.mktemp("scope-store")
    patch = pytest.MonkeyPatch()
    patch.setenv("SIDECAR_HOME", str(home))
    memory_store = MemoryStore(load_settings())
    memory_store.add("Alice's door code is kept in the blue notebook", user_id="alice", agent_id="codex")
    memory_store.add("Alice likes the blue notebook best", user_id="alice", agent_id="claude")
    memory_store.add("Bob keeps a blue notebook for recipes", user_id="bob", agent_id="codex")
    yield memory_store
    memory_store.close()
    patch.undo()


def owners(result: dict) -> set[str]:
    return {row["user_id"] for row in result["results"]}


def test_an_and_filter_naming_another_user_is_refused(store) -> None:
    smuggled = {"user_id": "bob", "AND": [{"user_id": "alice"}]}
    with pytest.raises(ScopeError, match="user_id inside AND"):
        store.search("blue notebook", filters=smuggled)
    with pytest.raises(ScopeError, match="user_id inside AND"):
        store.get_all(filters=smuggled)
    with pytest.raises(ScopeError):
        store.search("blue notebook", filters={"user_id": "bob", "OR": [{"NOT": [{"user_id": "bob"}]}]})


def test_conditions_that_narrow_the_scope_still_work_and_stay_inside_it(store) -> None:
    hits = store.search("blue notebook", filters={"user_id": "alice", "AND": [{"agent_id": "codex"}]})
    assert owners(hits) == {"alice"} and {row["agent_id"] for row in hits["results"]} == {"codex"}
    either = store.search("blue notebook", filters={"user_id": "bob", "OR": [{"agent_id": "codex"},
                                                                              {"agent_id": "claude"}]})
    assert owners(either) == {"bob"} and len(either["results"]) == 1
    assert owners(store.get_all(filters={"user_id": "bob", "agent_id": "codex"})) == {"bob"}


@pytest.mark.parametrize("bad", ["*", " alice", "alice ", "al ice", "alice\n"])
def test_ids_the_store_would_widen_or_fold_are_refused_everywhere(store, bad: str) -> None:
    with pytest.raises(ScopeError):
        store.search("notebook", filters={"user_id": bad})
    with pytest.raises(ScopeError):
        store.get_all(filters={"user_id": bad})
    with pytest.raises(ScopeError):
        store.delete_all(user_id=bad)  # mem0 would read "*" as every user and delete them all
    with pytest.raises(ScopeError):
        store.add("I am someone else", user_id=bad)
    assert owners(store.get_all(filters={"user_id": "alice"})) == {"alice"}
    assert len(store.get_all(filters={"user_id": "bob"})["results"]) == 1


def test_bind_filters_splits_scope_and_conditions() -> None:
    bound = bind_filters({"user_id": "a.b/../c", "agent_id": None, "topic": "x", "AND": [{"run_id": "r"}]})
    assert bound.scope == {"user_id": "a.b/../c"} and bound.extra == {"topic": "x", "AND": [{"run_id": "r"}]}
    assert bind_filters({"run_id": "r1"}).plain
    for bad in ({}, {"topic": "x"}, {"user_id": {"in": ["a", "b"]}}, {"user_id": ["a"]},
                {"user_id": "a", "$or": [{"user_id": "b"}]}, {"user_id": "a", "topic": {"x": {"user_id": 1}}}):
        with pytest.raises(ScopeError):
            bind_filters(bad)
    assert check_scope({"user_id": "Ünïcode/../x", "agent_id": None}) == {"user_id": "Ünïcode/../x"}


def test_a_chroma_where_never_lets_a_condition_stand_in_for_the_scope() -> None:
    assert scope_where({"user_id": "*"}) == {"user_id": {"$eq": "*"}}
    assert scope_where({"user_id": "a"}, {"hash": {"$in": ["h"]}}) == {
        "$and": [{"user_id": {"$eq": "a"}}, {"hash": {"$in": ["h"]}}]}
    with pytest.raises(ValueError):
        scope_where({"user_id": "a"}, {"user_id": "b"})
    with pytest.raises(ValueError):
        scope_where({"user_id": {"$ne": "a"}})
    assert scope_where({}) is None

