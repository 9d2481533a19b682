"""The keyword channel's top-k pass on real SQLite FTS5: which rows get scored, and that the scores stay BM25's."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.store import keyword_topk
from sidecar.store.keyword import KeywordIndex

COMMON = 40  # rows holding the common word "garden"; the budget below is smaller
FILLER = 60


def fill(index: KeywordIndex) -> None:
    for i in range(COMMON):
        index.upsert(f"c{i}", f"note {i}: the garden needs water on day {i}", user_id="alice")
    for i in range(FILLER):  # so "garden" is in fewer than half the rows and BM25 gives it a real weight
        index.upsert(f"f{i}", f"entry {i}: an unrelated line about the weather", user_id="carol")
    index.upsert("both", "Melanie planted tulips in the garden", user_id="alice")
    index.upsert("rare", "Melanie bought tulips at the market", user_id="alice")
    index.upsert("other", "Melanie grows tulips in her garden", user_id="bob")


@pytest.fixture
def indexes(tmp_path: Path):
    exact = KeywordIndex(tmp_path / "keyword.db", topk_budget=10**9)
    fill(exact)
    pruned = KeywordIndex(tmp_path / "keyword.db", topk_budget=10)
    yield exact, pruned
    pruned.close()
    exact.close()


def test_a_query_over_budget_scores_only_the_rows_of_its_rare_terms(indexes) -> None:
    _, pruned = indexes
    chosen = keyword_topk.plan(pruned._conn(), ['"tulips"', '"garden"'], budget=10)
    assert not chosen.exact
    assert chosen.essential == ('"tulips"',)
    assert [phrase for phrase, _ in chosen.common] == ['"garden"']
    hits = pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60)
    assert [memory_id for memory_id, _ in hits] == ["both", "rare"]  # no row holding only "garden" was scored


def test_pruned_scores_equal_bm25_for_single_occurrences(indexes) -> None:
    exact, pruned = indexes
    full = dict(exact.search("tulips garden", filters={"user_id": "alice"}, limit=100))
    hits = pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60)
    for memory_id, score in hits:
        assert score == pytest.approx(full[memory_id], rel=1e-9)
    assert dict(hits)["both"] > dict(hits)["rare"] + 0.1  # same length: the difference is the common term


def test_within_budget_the_ranking_is_the_exact_one(tmp_path: Path) -> None:
    with KeywordIndex(tmp_path / "small.db", topk_budget=1000) as small:
        fill(small)
        hits = small.search("tulips garden", filters={"user_id": "alice"}, limit=60)
        assert len(hits) == COMMON + 2
        assert keyword_topk.plan(small._conn(), ['"tulips"', '"garden"'], budget=1000).exact


def test_the_pruned_pass_keeps_scopes_apart(indexes) -> None:
    _, pruned = indexes
    hits = pruned.search("Melanie tulips garden", filters={"user_id": "bob"}, limit=60)
    assert [memory_id for memory_id, _ in hits] == ["other"]


def test_totals_read_fts5_own_counts(indexes) -> None:
    exact, _ = indexes
    conn = exact._conn()
    rows, average = keyword_topk.totals(conn)
    assert rows == COMMON + FILLER + 3
    tokens = sum(keyword_topk._varints(bytes(size))[0] + keyword_topk._varints(bytes(size))[1]
                 for (size,) in conn.execute("SELECT sz FROM keyword_fts_docsize"))
    assert average == pytest.approx(tokens / rows)


def test_a_scope_with_few_matches_in_a_big_store_is_ranked_exactly(tmp_path: Path) -> None:
    with KeywordIndex(tmp_path / "many.db", topk_budget=10) as index:
        fill(index)  # alice's 40 "garden" rows push the store's matches over the budget
        index.upsert("bob2", "Bob waters the garden at dawn", user_id="bob")
        where, params = "r.user_id = ?", ["bob"]
        chosen = keyword_topk.plan(index._conn(), ['"tulips"', '"garden"'], 10, where, params)
        assert chosen.exact
        hits = index.search("tulips garden", filters={"user_id": "bob"}, limit=60)
        assert sorted(memory_id for memory_id, _ in hits) == ["bob2", "other"]
