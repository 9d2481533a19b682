"""BM25 with the searched scope's own document frequencies, for a store that holds many users.

FTS5's ``bm25()`` weighs each term by how rare it is in the whole index, so in a store
shared by several users a word one user says all the time (their partner's name, their
job) still counts as rare because the others never say it, and one user's writing moves
another's ranking. A search is over one scope's memories, so its term weights should
come from that scope: each term is queried on its own (FTS5's score of a one-term query
is that term's part of the sum, global weight times a saturated term frequency), and
its part is rescaled from the index-wide weight to the scope's. The scope's counts are
smoothed towards the index-wide rate by ``PRIOR_ROWS`` pseudo-rows, so a scope of a few
memories is weighed like the index rather than by three or four rows. Document lengths
stay index-wide (FTS5 keeps no per-scope average).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence

PRIOR_ROWS = 100  # pseudo-rows at the index-wide rate added to a scope's counts


def idf(rows: float, frequency: float) -> float:
    """FTS5's BM25 term weight for a term in ``frequency`` of ``rows`` documents (never below 1e-6)."""
    return max(1e-6, math.log((rows - frequency + 0.5) / (frequency + 0.5)))


def scope_weight(scope_rows: int, scope_frequency: int, all_rows: int, all_frequency: int) -> float:
    """The term's weight in the scope (smoothed towards its index-wide rate) over its index-wide weight."""
    rate = all_frequency / all_rows if all_rows else 0.0
    return idf(scope_rows + PRIOR_ROWS, scope_frequency + PRIOR_ROWS * rate) / idf(all_rows, all_frequency)


def ranked(conn: sqlite3.Connection, phrases: Sequence[str], frequencies: Sequence[int], where: str,
           params: Sequence[str], *, scope_rows: int, all_rows: int, limit: int,
           context_weight: float) -> list[tuple[str, float]]:
    """Best ``limit`` (memory id, relevance) of the scope ``where`` (over ``keyword_rows r``) for ``phrases``
    joined with OR, each phrase weighed by its rarity in the scope; ``frequencies`` are the phrases' index-wide
    document counts. Every matching row of the scope is read, so use it when they are few."""
    scores: dict[str, float] = {}
    for phrase, frequency in zip(phrases, frequencies):
        # CROSS JOIN keeps FTS5 the outer loop: probed once per scope row, the MATCH would run for each
        rows = conn.execute(
            "SELECT r.memory_id, -bm25(keyword_fts, 1.0, ?) FROM keyword_fts "
            f"CROSS JOIN keyword_rows r ON r.rowid = keyword_fts.rowid WHERE keyword_fts MATCH ? AND {where}",
            (context_weight, phrase, *params)).fetchall()
        if not rows:
            continue
        weight = scope_weight(scope_rows, len(rows), all_rows, max(frequency, len(rows)))
        for memory_id, score in rows:
            scores[memory_id] = scores.get(memory_id, 0.0) + score * weight
    best = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return best[:limit]
