"""Which rows the server's keyword channel scores: every row holding a query term, or on a large store a bounded set.

BM25 is computed per (row, term) with ``ts_rank_cd``, so a query holding a common word
("like", a speaker's name) would score tens of thousands of rows at 100k memories,
against a few hundred at 1k: the cost grew with the store. As in the embedded index's
top-k pass (:mod:`sidecar.store.keyword_topk`, in the spirit of MaxScore), the rows
scored are bounded by :data:`BUDGET`:

* when the scope holds at most ``BUDGET`` rows, or the query's terms are found in at most
  ``BUDGET`` rows of the whole table, every row holding a term is scored (exact BM25: every
  store up to ``BUDGET`` memories ranks exactly as before);
* otherwise the rarest terms whose rows fit the budget together are the *essential*
  terms: only rows holding one of them are candidates, and each candidate is scored
  exactly over all the query's terms. A row holding only common (low-IDF) terms is
  not a candidate: its score is bounded by the sum of those terms' small IDFs;
* when even the rarest term is in more than ``BUDGET`` rows, the newest ``BUDGET`` rows
  of the scope holding it are the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BUDGET = 1000  # rows scored in one search at most (~5 ms of ts_rank_cd on a loaded 2-core machine)


@dataclass(frozen=True)
class KeywordPlan:
    """The terms whose rows are the candidates (tsquery operands), and whether only the newest are taken."""

    candidates: tuple[str, ...]
    newest_only: bool = False

    @property
    def query(self) -> str:
        """The tsquery selecting the candidates (the OR of :attr:`candidates`)."""
        return " | ".join(self.candidates)


def plan(found: Sequence[tuple[str, int]], *, scope_rows: int, budget: int = BUDGET) -> KeywordPlan:
    """The plan for terms found in the table (``(term, rows holding it)``, every count > 0), for a scope
    of ``scope_rows`` rows (counted up to ``budget + 1``)."""
    if scope_rows <= budget or sum(hits for _, hits in found) <= budget:
        return KeywordPlan(tuple(term for term, _ in found))
    ordered = sorted(found, key=lambda item: (item[1], item[0]))
    essential: list[str] = []
    used = 0
    for term, hits in ordered:
        if used + hits > budget:
            break
        essential.append(term)
        used += hits
    if not essential:
        return KeywordPlan((ordered[0][0],), newest_only=True)
    return KeywordPlan(tuple(essential))
