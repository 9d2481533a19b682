"""One hybrid search: keyword and dense channels side by side, fused, shaped into mem0's result rows.

The keyword pass starts first, on its own thread (it needs no vector); the caller's thread
embeds the query and asks the dense index meanwhile. The fused hits are turned into rows with
one read for the rows the dense hits did not carry; rows deleted, expired or outside the scope
since are left out, and facts learned from one utterance are spread over the list
(:mod:`sidecar.store.sibling_spread`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sidecar.store.chroma_rows import expired
from sidecar.store.dense import DenseChannel
from sidecar.store.hybrid import HybridIndex
from sidecar.store.scope_filters import in_scope
from sidecar.store.sibling_spread import EXTRA_CANDIDATES, spread_siblings

Hit = tuple[str, float, float | None, float | None]


def hybrid_search(hybrid: HybridIndex, dense: DenseChannel, query: str, query_vector: Callable[[str], Any],
                  scope: Mapping[str, str], top_k: int, threshold: float | None) -> list[dict[str, Any]]:
    """The ``top_k`` results for ``query`` in ``scope`` (best first), each with its fused ``score`` and
    ``score_details``; ``query_vector`` embeds the query (called on this thread)."""
    keyword = hybrid.start_keyword(query, scope)  # runs while the query is embedded
    depth = max(top_k, hybrid.params.dense_depth)
    dense_hits = dense.search(query_vector(query), scope, depth)
    fused = hybrid.fuse(dense_hits, keyword, top_k + EXTRA_CANDIDATES)

    def shape(hits: Sequence[Hit]) -> list[dict[str, Any]]:
        by_id = dense.rows_of([hit[0] for hit in hits], dense_hits, scope)  # one read for the rows still needed
        shaped = []
        for memory_id, score, dense_score, keyword_score in hits:
            if threshold is not None and score < threshold:
                continue
            row = by_id.get(memory_id)
            if row is None or not in_scope(row, scope) or expired(row):  # deleted meanwhile, stray, expired
                continue
            shaped.append({**row, "score": score, "score_details": {"dense": dense_score, "keyword": keyword_score}})
        return shaped

    return spread_siblings(fused, top_k, shape)
