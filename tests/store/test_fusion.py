"""Properties of dense + keyword fusion."""

from __future__ import annotations

import pytest

from sidecar.store.fusion import DEFAULT_PARAMS, METHODS, FusionParams, fuse

DENSE = [("d1", 0.80), ("both", 0.78), ("d2", 0.60), ("d3", 0.55), ("d4", 0.50)]
KEYWORD = [("k1", 14.0), ("both", 13.5), ("k2", 6.0), ("k3", 2.0)]


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [memory_id for memory_id, _ in hits]


@pytest.mark.parametrize("method", METHODS)
def test_item_top_in_both_channels_ranks_first(method: str) -> None:
    dense = [("top", 0.9), ("a", 0.7), ("b", 0.6)]
    keyword = [("top", 20.0), ("c", 9.0), ("a", 1.0)]
    assert ids(fuse(dense, keyword, limit=5, method=method))[0] == "top"


@pytest.mark.parametrize("method", METHODS)
def test_result_is_the_union_best_first_and_limited(method: str) -> None:
    fused = fuse(DENSE, KEYWORD, limit=100, method=method)
    assert set(ids(fused)) == {m for m, _ in DENSE} | {m for m, _ in KEYWORD}
    assert len(ids(fused)) == len(set(ids(fused)))
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)
    assert ids(fuse(DENSE, KEYWORD, limit=3, method=method)) == ids(fused)[:3]
    assert fuse(DENSE, KEYWORD, limit=0, method=method) == []


@pytest.mark.parametrize("method", METHODS)
def test_weights_move_their_channel_up(method: str) -> None:
    # d1 leads dense, k1 leads keyword; "both" is second in each.
    dense_heavy = ids(fuse(DENSE, KEYWORD, limit=10, method=method, dense_weight=5.0, keyword_weight=1.0))
    keyword_heavy = ids(fuse(DENSE, KEYWORD, limit=10, method=method, dense_weight=1.0, keyword_weight=5.0))
    assert dense_heavy.index("d1") < dense_heavy.index("k1")
    assert keyword_heavy.index("k1") < keyword_heavy.index("d1")
    assert keyword_heavy.index("k2") < dense_heavy.index("k2")


@pytest.mark.parametrize("method", METHODS)
def test_a_zero_weight_or_empty_channel_leaves_the_other_channel_order(method: str) -> None:
    assert ids(fuse(DENSE, [], limit=10, method=method)) == ids(DENSE)
    assert ids(fuse([], KEYWORD, limit=10, method=method)) == ids(KEYWORD)
    only_dense = ids(fuse(DENSE, KEYWORD, limit=len(DENSE), method=method, keyword_weight=0.0))
    assert only_dense == ids(DENSE)


def test_depth_limits_each_channel() -> None:
    fused = ids(fuse(DENSE, KEYWORD, limit=20, dense_depth=2, keyword_depth=1))
    assert set(fused) == {"d1", "both", "k1"}


def test_rrf_scores_follow_the_formula() -> None:
    k = 10.0
    fused = dict(fuse(DENSE, KEYWORD, limit=20, method="rrf", rrf_k=k, dense_weight=2.0, keyword_weight=3.0))
    assert fused["both"] == pytest.approx(2.0 / (k + 2) + 3.0 / (k + 2))
    assert fused["d1"] == pytest.approx(2.0 / (k + 1))
    assert fused["k3"] == pytest.approx(3.0 / (k + 4))


def test_duplicates_and_unsorted_input_are_normalised() -> None:
    dense = [("b", 0.2), ("a", 0.9), ("a", 0.1)]
    assert ids(fuse(dense, [], limit=5)) == ["a", "b"]


def test_ties_prefer_dense_order() -> None:
    dense = [("x", 0.9), ("y", 0.1)]
    keyword = [("z", 5.0), ("w", 1.0)]
    fused = ids(fuse(dense, keyword, limit=4, method="rrf", dense_weight=1.0, keyword_weight=1.0))
    assert fused == ["x", "z", "y", "w"]


def test_params_object_and_overrides() -> None:
    custom = FusionParams(method="rrf", rrf_k=1.0)
    assert fuse(DENSE, KEYWORD, limit=10, params=custom) == fuse(
        DENSE, KEYWORD, limit=10, method="rrf", rrf_k=1.0
    )
    assert fuse(DENSE, KEYWORD, limit=10) == fuse(DENSE, KEYWORD, limit=10, params=DEFAULT_PARAMS)
    with pytest.raises(TypeError):
        fuse(DENSE, KEYWORD, limit=10, alpha=0.5)
    with pytest.raises(ValueError):
        FusionParams(method="borda")
    with pytest.raises(ValueError):
        FusionParams(keyword_weight=-1.0)
    with pytest.raises(AttributeError):
        DEFAULT_PARAMS.keyword_weight = 2.0  # type: ignore[misc]


def test_small_scope_keeps_a_similar_last_memory_above_zero():
    dense = [("a", 0.56), ("b", 0.47), ("c", 0.41), ("d", 0.37)]  # the scope's whole content
    fused = dict(fuse(dense, [], limit=4))
    assert fused["d"] > 0.5 * fused["a"]  # scaled by the best score, not stretched to 0


def test_full_depth_dense_list_is_min_max_normalised():
    dense = [(f"m{i}", 0.9 - i * 0.01) for i in range(60)]
    fused = fuse(dense, [], limit=60)
    assert fused[-1][1] == 0.0 and fused[0][1] > 0
