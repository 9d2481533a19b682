"""The types reconciliation speaks in: a neighbouring memory, a decision, a reconciler.

Kept apart from the reconcilers so that the LLM reply parser
(:mod:`sidecar.learn.reconcile.update_prompt`) and the apply pipeline can use
them without importing any reconciler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Op = Literal["ADD", "UPDATE", "DELETE", "NONE"]


@dataclass(frozen=True)
class Neighbour:
    """An existing memory of the same user; ``score`` is its cosine similarity (0..1) to the fact."""

    id: str
    text: str
    score: float


@dataclass(frozen=True)
class Decision:
    """What to do with ``fact``: ``target_id`` names the memory an UPDATE/DELETE/NONE acts on."""

    op: Op
    fact: str
    target_id: str | None
    new_text: str | None
    reason: str


@runtime_checkable
class Reconciler(Protocol):
    """Decides ADD / UPDATE / DELETE / NONE for one fact against the user's neighbours."""

    def decide(self, fact: str, neighbours: Sequence[Neighbour], *, utterance: str = "") -> Decision:
        """Decide for ``fact`` (``utterance`` is the raw text it came from, for cues)."""
        ...
