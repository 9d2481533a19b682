"""A user's keyword ranking weighs terms by how rare they are in that user's memories, not in everyone's."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.store.keyword import KeywordIndex
from sidecar.store.keyword_scope_idf import idf, scope_weight


@pytest.fixture()
def shared_store(tmp_path: Path) -> KeywordIndex:
    """Bob talks about jazz all the time and once about the weather; 2,000 other rows all mention weather."""
    index = KeywordIndex(tmp_path / "keyword.db")
    for i in range(2000):
        index.upsert(f"other-{i}", f"the weather report number {i} for the valley", user_id=f"user-{i % 7}")
    for i in range(300):
        index.upsert(f"bob-jazz-{i}", f"bob played jazz records evening {i}", user_id="bob")
    for i in range(99):
        index.upsert(f"bob-misc-{i}", f"bob cooked dinner {i}", user_id="bob")
    index.upsert("bob-weather", "bob hates the weather in november", user_id="bob")
    yield index
    index.close()


def test_a_word_rare_for_this_user_outranks_one_only_other_users_lack(shared_store: KeywordIndex) -> None:
    # index-wide, "jazz" is rare (300 of 2,400 rows) and "weather" is in most rows: FTS5 alone ranks jazz first;
    # in bob's own memories "jazz" is in three rows of four, and "weather" in one
    top = shared_store.search("weather jazz", filters={"user_id": "bob"}, limit=5)
    assert top[0][0] == "bob-weather", top


def test_every_result_stays_inside_the_scope(shared_store: KeywordIndex) -> None:
    ids = [memory_id for memory_id, _ in shared_store.search("weather valley", filters={"user_id": "bob"}, limit=50)]
    assert ids == ["bob-weather"]


def test_a_store_of_one_user_ranks_by_fts5s_own_bm25(tmp_path: Path) -> None:
    with KeywordIndex(tmp_path / "keyword.db") as index:
        index.upsert("a", "green tea in the morning", user_id="u")
        index.upsert("b", "black tea and green tea and more green tea", user_id="u")
        for i in range(20):  # so neither word is in half the rows, where FTS5 floors a term's weight
            index.upsert(f"c{i}", f"coffee number {i}", user_id="u")
        conn = index._conn()
        expected = conn.execute(
            "SELECT r.memory_id, -bm25(keyword_fts, 1.0, 1.0) FROM keyword_fts JOIN keyword_rows r "
            "ON r.rowid = keyword_fts.rowid WHERE keyword_fts MATCH '\"green\" OR \"tea\"' "
            "ORDER BY bm25(keyword_fts, 1.0, 1.0)").fetchall()
        found = index.search("green tea", filters={"user_id": "u"})
        assert [memory_id for memory_id, _ in found] == [memory_id for memory_id, _ in expected]
        # the scores too: rescaled per-scope weights would move them even where the order holds
        assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-9)


def test_a_small_scope_leans_on_the_index_wide_rate() -> None:
    # a term in all 3 rows of a 3-row scope would weigh nothing on its own counts; smoothed, it keeps weight
    assert idf(3, 3) == pytest.approx(1e-6)
    assert scope_weight(3, 3, 10_000, 10) > 0.3
    # a large scope speaks for itself: common in the scope, rare elsewhere -> far below the index-wide weight
    assert scope_weight(5_000, 4_000, 10_000, 4_000) < 0.01
