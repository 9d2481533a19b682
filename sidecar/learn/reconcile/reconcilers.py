"""Reconciliation: what a new fact does to a user's existing memories.

Given a fact the gate accepted (or a retraction it saw) and the user's nearest
memories, a :class:`~sidecar.learn.reconcile.decision.Reconciler` returns one
:class:`~sidecar.learn.reconcile.decision.Decision`: ADD a new memory,
UPDATE one in place, DELETE one, or NONE. Neighbours must already be scoped to
the speaking user; reconciliation never looks across users.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sidecar.learn.judge.kind_classifier import Embedder
from sidecar.learn.reconcile import rules as cues
from sidecar.learn.reconcile.decision import Decision, Neighbour
from sidecar.learn.reconcile.update_prompt import UPDATE_SCHEMA, build_update_prompt, parse_update_reply

# Cosine thresholds for MiniLM fact-style sentences (tuned on our own pairs, see tests).
DUPLICATE_MIN = 0.86
RESTATEMENT_MIN = 0.5
UPDATE_MIN = 0.42
DELETE_MIN = 0.42
# "switched to", "moved to", "relocating": the cue carries the decision, similarity only picks the slot
STRONG_UPDATE_MIN = 0.3
REFINE_MIN = 0.5


class EmbeddedReconciler:
    """Similarity plus lexical cues; no LLM. See :mod:`sidecar.learn.reconcile.rules`."""

    name = "embedded"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def decide(self, fact: str, neighbours: Sequence[Neighbour], *, utterance: str = "") -> Decision:
        """Apply the project's DELETE-vs-UPDATE convention to ``fact``."""
        said = utterance or fact
        replacement = cues.gives_replacement(said)
        restated = bool(cues.RESTATEMENT.search(said))
        if cues.is_retraction(said) and not self._supplies_new_value(said) and not restated:
            # a retraction may name its target loosely ("what I said about a sister"), so any subject
            anywhere = self._rerank(said, fact, neighbours)
            if not anywhere or anywhere[0].score < DELETE_MIN:
                return Decision("NONE", fact, None, None, "retraction with no matching memory")
            target = anywhere[0]
            return Decision("DELETE", fact, target.id, None, f"retracts '{target.text}' without a new value")
        subject = cues.subject_of(fact) if cues.subject_of(fact) != "user" else cues.subject_of(said)
        same_subject = [n for n in neighbours if cues.subject_of(n.text) == subject]
        ranked = self._rerank(said, fact, same_subject)
        best = ranked[0] if ranked else None
        if best is None:
            return Decision("ADD", fact, None, fact, "no related memory for this subject")
        if best.score >= DUPLICATE_MIN and not replacement:
            return Decision("NONE", fact, best.id, None, f"restates '{best.text}'")
        if restated and best.score >= RESTATEMENT_MIN and not replacement:
            return Decision("NONE", fact, best.id, None, f"repeats '{best.text}'")
        strong = self._supplies_new_value(said) or bool(cues.PLANNED_CHANGE.search(said))
        if replacement and best.score >= (STRONG_UPDATE_MIN if strong else UPDATE_MIN):
            if cues.PLANNED_CHANGE.search(said):
                return Decision("UPDATE", fact, best.id, f"{best.text}; {_lower_first(fact)}", "announced change merged")
            return Decision("UPDATE", fact, best.id, fact, f"new value replaces '{best.text}'")
        if cues.ADDITION.search(said) or cues.mentions_relation(fact) != cues.mentions_relation(best.text):
            return Decision("ADD", fact, None, fact, "a separate item next to existing ones")
        if best.score >= REFINE_MIN and _refines(fact, best.text):
            return Decision("UPDATE", fact, best.id, fact, f"adds detail to '{best.text}'")
        return Decision("ADD", fact, None, fact, "new proposition")

    def _rerank(self, said: str, fact: str, neighbours: Sequence[Neighbour]) -> list[Neighbour]:
        """Score each neighbour by its best match to the fact or to the raw utterance.

        A retraction's fact is often just the utterance ("I'm not X anymore"), and
        a fact can lose the words that tie it to the old memory, so both are tried.
        """
        if not neighbours:
            return []
        probes = [fact] if said == fact else [fact, said]
        vectors = self._embedder.embed([*probes, *(n.text for n in neighbours)])
        sims = vectors[len(probes):] @ vectors[: len(probes)].T
        best = np.maximum(sims.max(axis=1), np.array([n.score for n in neighbours]))
        rescored = [Neighbour(n.id, n.text, float(min(1.0, s))) for n, s in zip(neighbours, best)]
        return sorted(rescored, key=lambda n: n.score, reverse=True)

    @staticmethod
    def _supplies_new_value(said: str) -> bool:
        """'Left IKEA and went freelance' retracts and replaces; 'not vegan anymore' only retracts."""
        return bool(cues.NEW_VALUE.search(said))


def _refines(fact: str, old: str) -> bool:
    """The new fact keeps the old one's content words and adds more: a refinement, not a sibling."""
    old_words, new_words = cues.content_words(old), cues.content_words(fact)
    if not old_words:
        return False
    kept = len(old_words & new_words) / len(old_words)
    return kept >= 0.5 and len(new_words) > len(old_words)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


class OllamaReconciler:
    """Reconciliation by an LLM over Ollama, using mem0's own update-memory prompt."""

    name = "ollama"

    def __init__(self, client=None, model: str | None = None, num_ctx: int | None = None) -> None:
        from sidecar.llm.ollama_client import OllamaClient, choose_model

        self._client = client or OllamaClient()
        self.model = model or choose_model()
        self.num_ctx = num_ctx

    def decide(self, fact: str, neighbours: Sequence[Neighbour], *, utterance: str = "") -> Decision:
        """Ask the model; ids are replaced by small integers so it cannot invent real ones."""
        old_memory = [{"id": str(i), "text": n.text} for i, n in enumerate(neighbours)]
        prompt = build_update_prompt(old_memory, fact)
        reply = self._client.chat(
            self.model,
            [{"role": "user", "content": prompt}],
            schema=UPDATE_SCHEMA,
            num_ctx=self.num_ctx,
        )
        return parse_update_reply(reply.content, fact, [n.id for n in neighbours], [n.text for n in neighbours])
