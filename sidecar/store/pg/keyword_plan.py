"""Which rows the server's keyword channel scores: every row holding a query term, or on a large store a bounded set.

BM25 is computed per (row, term) with ``ts_rank_cd``, so a query holding a common word
("like", a speaker's name) would score tens of thousands of rows at 100k memories,
against a few hundred at 1k: the cost grew with the store. As in the embedded index's
top-k pass (:mod:`sidecar.store.keyword_topk`, in the spirit of MaxScore), the rows
scored are bounded by :data:`BUDGET`:

* when the scope holds at most :data:`EXACT_SCOPE` rows, or the query's terms are found in at
  most ``BUDGET`` rows of the whole table, every row holding a term is scored (exact BM25:
  every store up to ``EXACT_SCOPE`` memories ranks exactly as before);
* otherwise the rarest terms whose rows fit the budget together are the *essential*
  terms: only rows holding one of them are candidates, and each candidate is scored
  exactly over all the query's terms. A row holding only common (low-IDF) terms is
  not a candidate: its score is bounded by the sum of those terms' small IDFs;
* then, while the budget lasts, the rows holding a *pair* of the other (common) terms
  are candidates too, the pairs expected to be smallest first (a pair's rows estimated as
  if the terms were independent: ``a * b / rows``). A row holding two or more common
  terms is what the rarest terms alone left out of the exact top 10 (every miss on 300
  LoCoMo questions at 100k memories held two or more query terms and no rare one). Terms
  that go together more than independence predicts make more rows than the budget (at
  500 on those questions: 460 candidates on average, 797 at the 95th percentile, 1,386 at most);
* when even the rarest term is in more than ``BUDGET`` rows, the newest ``BUDGET`` rows
  of the scope holding it are the candidates.

A plan whose candidates are few in the whole table (:attr:`KeywordPlan.index_first`) is best run
the same way whatever the values: the GIN index first, the scope checked on those rows. The search
then runs it as a prepared statement with one generic plan (planning it took ~1 ms of server CPU
per search at 100k memories); the other plans depend on the scope's size and are planned each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

EXACT_SCOPE = 1000  # a scope up to this size is ranked exactly
# Candidates scored in a larger scope. On 300 LoCoMo questions at 100k memories (2026-11-30) the top 10 was
# the unbounded ranking's (same document counts) for 0.95-0.97 of them at 500 and 0.99 at 1,000 (~1.4x the
# server CPU); the rarest terms alone gave 0.82 at 1,000 and 0.59 at 500.
BUDGET = 500


@dataclass(frozen=True)
class KeywordPlan:
    """The terms whose rows are the candidates (tsquery operands), the pairs of terms whose shared rows
    are candidates too, and whether only the newest are taken."""

    candidates: tuple[str, ...]
    newest_only: bool = False
    pairs: tuple[tuple[str, str], ...] = ()
    index_first: bool = False  # the candidates are bounded in the whole table, not only in the scope

    @property
    def query(self) -> str:
        """The tsquery selecting the candidates (the OR of :attr:`candidates` and :attr:`pairs`)."""
        return " | ".join([*self.candidates, *(f"{a} & {b}" for a, b in self.pairs)])


def plan(found: Sequence[tuple[str, int]], *, scope_rows: int, budget: int = BUDGET,
         rows: int | None = None, exact: int = EXACT_SCOPE) -> KeywordPlan:
    """The plan for terms found in the table (``(term, rows holding it)``, every count > 0), for a scope
    of ``scope_rows`` rows (counted up to ``exact + 1``) in a table of ``rows`` (None: no pairs)."""
    few = sum(hits for _, hits in found) <= budget
    if scope_rows <= max(exact, budget) or few:
        return KeywordPlan(tuple(term for term, _ in found), index_first=few)
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
    return KeywordPlan(tuple(essential), pairs=_pairs(ordered[len(essential):], budget - used, rows),
                       index_first=True)


def _pairs(common: Sequence[tuple[str, int]], left: int, rows: int | None) -> tuple[tuple[str, str], ...]:
    """The pairs of ``common`` terms whose expected shared rows fit in ``left``, smallest first."""
    if not rows or len(common) < 2:
        return ()
    expected = sorted((a_hits * b_hits / rows, a, b) for (a, a_hits), (b, b_hits) in combinations(common, 2))
    chosen: list[tuple[str, str]] = []
    for size, a, b in expected:
        if size > left:
            break
        chosen.append((a, b))
        left -= size
    return tuple(chosen)
