"""Facts learned from one utterance share its slots in a result list with the rest of the store.

One utterance often yields several facts ("Lost my job as a banker yesterday, so I'm starting
a dance studio" gives two), stored with the same ``utterance`` in their metadata. They match
the same queries, so for a query about that utterance they fill several of the top slots with
one piece of evidence. A result whose utterance a better-ranked result already brought in
goes below the results that bring something new, in its order; nothing is dropped from the
candidates, and memories without an utterance (added verbatim) are never moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

EXTRA_CANDIDATES = 10  # fused results beyond top_k that may take a demoted sibling's slot


def utterance_of(row: Mapping[str, Any]) -> str | None:
    metadata = row.get("metadata")
    utterance = metadata.get("utterance") if isinstance(metadata, Mapping) else None
    return utterance if isinstance(utterance, str) and utterance else None


def spread_siblings(fused: Sequence[Any], top_k: int,
                    shape: Callable[[Sequence[Any]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ``top_k`` results of ``fused`` hits (best first, up to ``top_k`` + :data:`EXTRA_CANDIDATES`), each
    repeat of an utterance moved below the results that bring a new one. ``shape`` turns hits into result
    rows (leaving out the ones gone meanwhile); the extra hits are shaped only when there is a repeat."""
    results = shape(fused[:top_k])
    if len(fused) > top_k and _has_repeat(results):
        results += shape(fused[top_k:])
    seen: set[str] = set()
    first: list[dict[str, Any]] = []
    repeats: list[dict[str, Any]] = []
    for row in results:
        utterance = utterance_of(row)
        if utterance is not None and utterance in seen:
            repeats.append(row)
        else:
            first.append(row)
            if utterance is not None:
                seen.add(utterance)
    return (first + repeats)[:top_k]


def _has_repeat(results: Sequence[Mapping[str, Any]]) -> bool:
    utterances = [u for u in map(utterance_of, results) if u is not None]
    return len(set(utterances)) < len(utterances)
