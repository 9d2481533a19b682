"""The server keyword channel's bounded scoring: which rows are candidates, and that they are scored exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.store.pg.keyword import PgKeywordIndex
from sidecar.store.pg.keyword_plan import KeywordPlan, plan

COMMON = {f"c{n}": f"coffee with friend number {n}" for n in range(8)}  # written in this order


def test_a_query_whose_rows_fit_the_budget_scores_every_row_found_through_the_index_first():
    assert plan([("'a'", 2), ("'b'", 3)], scope_rows=100, budget=5, exact=5) == KeywordPlan(
        ("'a'", "'b'"), index_first=True)


def test_a_scope_that_fits_the_budget_scores_every_row_of_it_planned_for_its_size():
    # the terms are common in the table: which of the scope's index and the GIN index goes first depends
    # on the scope's size, so this plan is not one generic plan
    assert plan([("'a'", 50), ("'b'", 90)], scope_rows=5, budget=5, exact=5) == KeywordPlan(("'a'", "'b'"))


def test_a_scope_up_to_the_exact_size_scores_every_row_even_over_the_budget():
    found = [("'a'", 50), ("'b'", 90)]
    assert plan(found, scope_rows=100, budget=5, exact=100) == KeywordPlan(("'a'", "'b'"))
    assert plan(found, scope_rows=101, budget=5, exact=100) == KeywordPlan(("'a'",), newest_only=True)
    assert not plan(found, scope_rows=101, budget=5, exact=100).index_first  # the newest of the scope: its size matters


def test_the_rarest_terms_that_fit_together_are_the_candidates():
    found = [("'common'", 900), ("'rare'", 2), ("'mid'", 7), ("'other'", 8)]
    chosen = plan(found, scope_rows=1000, budget=10, exact=10)
    assert chosen == KeywordPlan(("'rare'", "'mid'"), index_first=True) and chosen.query == "'rare' | 'mid'"


def test_the_budget_left_takes_the_rows_shared_by_pairs_of_common_terms_smallest_pair_first():
    found = [("'rare'", 10), ("'x'", 300), ("'y'", 200), ("'z'", 100)]
    # expected shared rows in 1,000: y&z 20, x&z 30, x&y 60; 40 rows of budget are left after rare's 10
    chosen = plan(found, scope_rows=1000, budget=50, exact=50, rows=1000)
    assert chosen == KeywordPlan(("'rare'",), pairs=(("'z'", "'y'"),), index_first=True)
    assert chosen.query == "'rare' | 'z' & 'y'"
    assert plan(found, scope_rows=1000, budget=50, exact=50).pairs == ()  # the table's size unknown: no pairs


def test_only_common_terms_take_the_newest_rows_of_the_rarest():
    assert plan([("'x'", 40), ("'y'", 30)], scope_rows=1000, budget=10, exact=10) == KeywordPlan(
        ("'y'",), newest_only=True)


@pytest.fixture
def index(keyword_pool: object) -> Iterator[PgKeywordIndex]:
    index = PgKeywordIndex(keyword_pool)
    index.upsert("rare", "coffee on the ferry to Zanzibar", user_id="u1")
    for memory_id, text in COMMON.items():
        index.upsert(memory_id, text, user_id="u1")
    index.upsert("small-common", "coffee again", user_id="u2")
    index.upsert("small-rare", "a ferry", user_id="u2")
    yield index


def test_over_the_budget_a_candidate_keeps_its_exact_score_and_common_only_rows_are_left_out(index):
    exact = dict(index.search("coffee ferry zanzibar", filters={"user_id": "u1"}))
    index.budget = index.exact_scope = 3  # coffee's 10 rows do not fit; ferry (2 rows) and zanzibar (1) do
    bounded = index.search("coffee ferry zanzibar", filters={"user_id": "u1"})
    assert [memory_id for memory_id, _ in bounded] == ["rare"]
    assert bounded[0][1] == pytest.approx(exact["rare"])  # coffee still counts in its score
    assert len(exact) == 1 + len(COMMON)


def test_over_the_budget_a_query_of_common_terms_scores_the_newest_rows_holding_the_rarest(index):
    index.budget = index.exact_scope = 3
    assert {memory_id for memory_id, _ in index.search("coffee", filters={"user_id": "u1"})} == {"c5", "c6", "c7"}


def test_a_scope_within_the_budget_is_ranked_exactly_whatever_the_table_holds(index):
    index.budget = index.exact_scope = 3
    found = index.search("coffee ferry", filters={"user_id": "u2"})
    assert [memory_id for memory_id, _ in found] == ["small-rare", "small-common"]
