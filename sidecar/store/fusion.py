"""Fusion of the dense (mem0/Chroma) and keyword (FTS5 BM25) result lists.

Both channels return ``(memory_id, score)`` pairs, best first, with higher scores
better. The scores live on unrelated scales (dense: 1/(1+squared L2 distance),
keyword: BM25), so each list is normalised on its own before a weighted sum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

Hit = tuple[str, float]
METHODS = ("rrf", "minmax", "zscore", "dbsf", "maxnorm")


@dataclass(frozen=True)
class FusionParams:
    """How the two channels are combined; the defaults won on the LoCoMo dev split.

    - ``method``: per-channel score normalisation before the weighted sum:
      ``rrf`` (1/(rrf_k + rank)), ``minmax`` (scores scaled to [0, 1] within the list),
      ``zscore`` (divided by the list's std, worst item at 0), ``dbsf`` (min-max over mean ± 3 std).
    - ``dense_weight`` / ``keyword_weight``: weights of the normalised channel scores;
      raising one moves its channel's items up.
    - ``dense_depth`` / ``keyword_depth``: how many top hits of each channel take part
      (the candidate set is the union of both tops).
    - ``rrf_k``: rank offset of ``rrf``; larger flattens the rank curve.
    """

    method: str = "minmax"
    dense_weight: float = 1.0
    keyword_weight: float = 1.25
    dense_depth: int = 60
    keyword_depth: int = 60
    rrf_k: float = 60.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion method {self.method!r}; expected one of {METHODS}")
        if self.dense_weight < 0 or self.keyword_weight < 0:
            raise ValueError("fusion weights must be >= 0")
        if self.dense_depth < 0 or self.keyword_depth < 0 or self.rrf_k < 0:
            raise ValueError("fusion depths and rrf_k must be >= 0")


DEFAULT_PARAMS = FusionParams()
_PARAM_NAMES = frozenset(f.name for f in fields(FusionParams))


def fuse(
    dense: Sequence[Hit],
    keyword: Sequence[Hit],
    *,
    limit: int,
    params: FusionParams | None = None,
    **overrides: object,
) -> list[Hit]:
    """Merge two best-first hit lists into one best-first list of at most ``limit`` hits.

    ``params`` defaults to :data:`DEFAULT_PARAMS`; keyword ``overrides`` replace single
    fields (``fuse(d, k, limit=10, keyword_weight=2.0)``). The returned score is the
    fused score (comparable only within one call). Ties keep dense order first, then
    keyword order, so the result is deterministic.
    """
    unknown = set(overrides) - _PARAM_NAMES
    if unknown:
        raise TypeError(f"unknown fusion parameter(s): {sorted(unknown)}")
    p = replace(params or DEFAULT_PARAMS, **overrides) if overrides else (params or DEFAULT_PARAMS)
    if limit <= 0:
        return []
    dense_top = _dedupe(dense)[: p.dense_depth]
    keyword_top = _dedupe(keyword)[: p.keyword_depth]
    normalise = _NORMALISERS[p.method]
    # A dense list shorter than its depth is the scope's whole content (a small store):
    # min-max would then give its last memory 0 however similar it is, so it is scaled
    # by its best score instead. Stores larger than the depth are unaffected.
    dense_normalise = _maxnorm if p.method == "minmax" and len(dense_top) < p.dense_depth else normalise
    totals: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for weight, hits, norm in ((p.dense_weight, dense_top, dense_normalise),
                               (p.keyword_weight, keyword_top, normalise)):
        if not hits:
            continue
        for (memory_id, _), value in zip(hits, norm(hits, p)):
            totals[memory_id] = totals.get(memory_id, 0.0) + weight * value
            first_seen.setdefault(memory_id, len(first_seen))
    ranked = sorted(totals.items(), key=lambda item: (-item[1], first_seen[item[0]]))
    return ranked[:limit]


def _dedupe(hits: Sequence[Hit]) -> list[Hit]:
    """Keep each id's first (best) occurrence, sorted best first."""
    seen: dict[str, float] = {}
    for memory_id, score in hits:
        if memory_id not in seen:
            seen[memory_id] = float(score)
    return sorted(seen.items(), key=lambda item: -item[1])


def _rrf(hits: list[Hit], p: FusionParams) -> list[float]:
    return [1.0 / (p.rrf_k + rank) for rank in range(1, len(hits) + 1)]


def _minmax(hits: list[Hit], p: FusionParams) -> list[float]:
    scores = [s for _, s in hits]
    low, high = min(scores), max(scores)
    if high - low <= 1e-12:
        # A single hit or a flat list: every item is as good as the best.
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


def _maxnorm(hits: list[Hit], p: FusionParams) -> list[float]:
    scores = [max(0.0, s) for _, s in hits]
    high = max(scores)
    if high <= 1e-12:
        return [1.0] * len(scores)
    return [s / high for s in scores]


def _zscore(hits: list[Hit], p: FusionParams) -> list[float]:
    scores = [s for _, s in hits]
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std <= 1e-12:
        return [1.0] * len(scores)
    # Shifted so the list's worst item scores 0, like an item the channel did not
    # return at all: a negative z must never rank below a miss.
    low = min(scores)
    return [(s - low) / std for s in scores]


def _dbsf(hits: list[Hit], p: FusionParams) -> list[float]:
    scores = [s for _, s in hits]
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std <= 1e-12:
        return [1.0] * len(scores)
    low, high = mean - 3 * std, mean + 3 * std
    return [min(1.0, max(0.0, (s - low) / (high - low))) for s in scores]


_NORMALISERS = {"rrf": _rrf, "minmax": _minmax, "zscore": _zscore, "dbsf": _dbsf, "maxnorm": _maxnorm}
