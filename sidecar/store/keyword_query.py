"""Turning free user text into a safe FTS5 query for the keyword channel."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_QUERY_TERMS = 32

# Function words and question scaffolding: they match most rows and only cost time.
DEFAULT_STOPWORDS = frozenset(
    """
    a about after again all also am an and any are as at be been before being both but
    by can could did do does doing done for from had has have having he her here hers
    him his how i if in into is it its just me might more most my no nor not of on once
    only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom whose why will with would
    you your yours yourself s t d ll m re ve
    """.split()
)

_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(text: str, stopwords: Iterable[str] = DEFAULT_STOPWORDS) -> list[str]:
    """Lower-cased word tokens of ``text`` without stopwords and duplicates, in order."""
    stop = stopwords if isinstance(stopwords, (set, frozenset)) else frozenset(stopwords)
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in stop and word not in seen:
            seen[word] = None
    return list(seen)[:MAX_QUERY_TERMS]


def build_match_query(
    text: str,
    *,
    stopwords: Iterable[str] = DEFAULT_STOPWORDS,
    prefix: bool = False,
    require_all: bool = False,
) -> str | None:
    """Turn free user text into a safe FTS5 MATCH expression, or None if nothing is left.

    Every term is a double-quoted string made of word characters only, so FTS5
    operators (``AND``, ``NEAR``, ``*``, ``:``, quotes) in the input are inert.
    Terms are joined with OR (BM25 then ranks by how many and how rare) unless
    ``require_all``; ``prefix`` makes terms of four or more letters prefix queries.
    """
    parts = match_phrases(text, stopwords=stopwords, prefix=prefix)
    if not parts:
        return None
    return (" AND " if require_all else " OR ").join(parts)


def match_phrases(text: str, *, stopwords: Iterable[str] = DEFAULT_STOPWORDS, prefix: bool = False) -> list[str]:
    """The safe FTS5 phrases of :func:`build_match_query`, one per term, in order (empty if none)."""
    return [f'"{t}"*' if prefix and len(t) >= 4 else f'"{t}"' for t in query_terms(text, stopwords)]
