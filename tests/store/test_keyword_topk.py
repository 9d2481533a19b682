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


def fts5_scores(index: KeywordIndex) -> dict[str, float]:
    """FTS5's own BM25 of every row for "tulips garden" (an exact search weighs terms by its scope's rows)."""
    return dict(index._conn().execute(
        "SELECT r.memory_id, -bm25(keyword_fts, 1.0, 1.0) FROM keyword_fts JOIN keyword_rows r "
        "ON r.rowid = keyword_fts.rowid WHERE keyword_fts MATCH '\"tulips\" OR \"garden\"'").fetchall())


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
    full = fts5_scores(exact)
    hits = pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60)
    for memory_id, score in hits:
        assert score == pytest.approx(full[memory_id], rel=1e-9)
    assert dict(hits)["both"] > dict(hits)["rare"] + 0.1  # same length: the difference is the common term


def test_pruned_scores_equal_bm25_when_a_row_holds_a_common_term_twice(indexes) -> None:
    exact, pruned = indexes
    exact.upsert("twice", "garden tulips, garden gloves", user_id="alice")  # one file: pruned sees it too
    full = fts5_scores(exact)
    hits = dict(pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60))
    assert not keyword_topk.plan(pruned._conn(), ['"tulips"', '"garden"'], budget=10).exact
    assert hits["twice"] == pytest.approx(full["twice"], rel=1e-9)
    assert set(hits) == {"twice", "both", "rare"}


def test_a_whole_store_scope_whose_matches_overlap_within_budget_is_ranked_exactly(tmp_path: Path) -> None:
    """Two terms of 8 rows each, in the same 8 rows: their sum is over a budget of 10, their union is not."""
    with KeywordIndex(tmp_path / "one.db", topk_budget=10) as index:
        for i in range(8):
            index.upsert(f"t{i}", f"tulips and a garden, row {i}", user_id="alice")
        for i in range(30):
            index.upsert(f"x{i}", f"filler line {i}", user_id="alice")
        conn = index._conn()
        where, params = "r.user_id = ?", ["alice"]
        chosen = keyword_topk.plan(conn, ['"tulips"', '"garden"'], 10, where, params,
                                   scope_rows=lambda: index._scopes.rows(conn, where, params))
        assert chosen.exact
        assert len(index.search("tulips garden", filters={"user_id": "alice"}, limit=60)) == 8


def test_pruned_scores_equal_bm25_with_a_lighter_context_column_and_long_rows(tmp_path: Path) -> None:
    """The common term's bonus tells the text from the context column, and reads rows of 128+ tokens right."""
    path = tmp_path / "keyword.db"
    exact = KeywordIndex(path, topk_budget=10**9, context_weight=0.5)
    fill(exact)
    exact.upsert("in-context", "Melanie saw tulips", context="the garden " + "other words " * 100, user_id="alice")
    exact.upsert("long", "tulips by the garden " + "and more words " * 60, user_id="alice")
    pruned = KeywordIndex(path, topk_budget=10, context_weight=0.5)
    try:
        assert not keyword_topk.plan(pruned._conn(), ['"tulips"', '"garden"'], budget=10).exact
        full = dict(exact._conn().execute(
            "SELECT r.memory_id, -bm25(keyword_fts, 1.0, 0.5) FROM keyword_fts JOIN keyword_rows r "
            "ON r.rowid = keyword_fts.rowid WHERE keyword_fts MATCH '\"tulips\" OR \"garden\"'").fetchall())
        hits = dict(pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60))
    finally:
        pruned.close()
        exact.close()
    assert {"both", "rare", "in-context", "long"} <= set(hits)
    for memory_id, score in hits.items():
        assert score == pytest.approx(full[memory_id], rel=1e-9)


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


def test_kept_frequencies_plan_as_counted_ones(indexes) -> None:
    _, pruned = indexes
    conn = pruned._conn()
    pruned.upsert("c0", "note 0: the garden was paved over", user_id="alice")  # an update keeps the counts
    pruned.delete("c1")
    phrases = ['"tulips"', '"garden"', '"melanie"', '"absent"']
    assert pruned.document_frequencies(phrases) == keyword_topk.counted(conn, phrases)
    kept = keyword_topk.plan(conn, phrases, 10, frequencies=pruned.document_frequencies)
    assert kept == keyword_topk.plan(conn, phrases, 10)


def test_a_scope_too_big_to_fit_is_not_counted(indexes, monkeypatch) -> None:
    exact, pruned = indexes
    conn = pruned._conn()
    pruned.delete_scope(user_id="carol")  # alice now holds 42 of the 43 rows
    where, params = "r.user_id = ?", ["alice"]
    counted_plan = keyword_topk.plan(conn, ['"tulips"', '"garden"'], 10, where, params)
    assert not counted_plan.exact  # alice's 41 "garden" rows do not fit 10

    def no_count(*args: object) -> int:
        raise AssertionError("the scope's size settled it: its matches must not be counted")

    monkeypatch.setattr(keyword_topk, "_in_scope", no_count)
    sized = keyword_topk.plan(conn, ['"tulips"', '"garden"'], 10, where, params,
                              frequencies=pruned.document_frequencies,
                              scope_rows=lambda: pruned._scopes.rows(conn, where, params))
    assert sized == counted_plan  # 42 rows hold "garden", at most 1 of them outside alice's scope: over 10
    small = keyword_topk.plan(conn, ['"tulips"', '"garden"'], 10, "r.user_id = ?", ["bob"],
                              scope_rows=lambda: pruned._scopes.rows(conn, "r.user_id = ?", ["bob"]))
    assert small.exact  # bob holds one row: whatever it matches fits
    hits = pruned.search("tulips garden", filters={"user_id": "alice"}, limit=60)
    full = fts5_scores(exact)
    assert [m for m, _ in hits] == ["both", "rare"] and all(s == pytest.approx(full[m]) for m, s in hits)


def test_the_best_in_scope_are_found_past_other_scopes_rows(indexes) -> None:
    _, pruned = indexes
    conn = pruned._conn()
    rowid = dict(conn.execute("SELECT memory_id, rowid FROM keyword_rows").fetchall())
    scores = {rowid[f"f{i}"]: 100.0 - i for i in range(9)}  # carol's rows score best: 9 > 2 chunks of 2 * 2
    scores.update({rowid["rare"]: 3.0, rowid["c5"]: 2.0, rowid["both"]: 5.0, rowid["other"]: 50.0})
    best = keyword_topk._best_in_scope(conn, scores, "r.user_id = ?", ["alice"], limit=2)
    assert best == [("both", 5.0), ("rare", 3.0)]
