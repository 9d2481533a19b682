"""One sentence's assessment by the embedded judge, and how a verdict explains itself."""

from __future__ import annotations

from dataclasses import dataclass

from sidecar.learn.judge.verdict import MEMORABLE_KINDS


@dataclass(frozen=True)
class SentenceAssessment:
    """How one sentence fared: probability, kind, extracted fact and the cues behind it."""

    text: str
    probability: float
    kind: str
    fact: str
    cues: tuple[str, ...]


def most_telling_rejection(assessments: list[SentenceAssessment]) -> SentenceAssessment:
    """The rejected sentence that best explains the decision: rule-backed beats classifier-only."""
    with_cues = [a for a in assessments if a.cues and a.cues != ("impersonal",)]
    pool = with_cues or assessments
    return max(pool, key=lambda a: a.probability)


def reasons_for(assessment: SentenceAssessment | None, cues: tuple[str, ...]) -> dict[str, str]:
    """The three triggers of a verdict (factuality, stability, reuse) in one short sentence each."""
    if assessment is None:
        return {"factuality": "no prose to judge", "stability": "n/a", "reuse": "n/a"}
    storable = assessment.kind in MEMORABLE_KINDS
    factuality = {
        "hypothetical": "framed as a hypothetical, no real fact presupposed",
        "question": "a request for information",
        "assistant": "assistant guess or remark, not a verified observation",
        "pleasantry": "a pleasantry",
        "one_off": "an instruction scoped to the current task",
        "imperative": "a task request",
    }
    fact_reason = next((factuality[c] for c in cues if c in factuality), None)
    if storable:
        fact_reason = f"states a {assessment.kind.replace('_', ' ')}"
    stability = "expected to hold for months" if storable else "not a lasting fact"
    if "transient" in cues or "state" in cues:
        stability = "a passing state (today / right now)"
    if "durable" in cues or "habitual" in cues:
        stability = "standing rule (always / from now on)"
    reuse = "useful in future, unrelated sessions" if storable else "no value beyond this conversation"
    return {
        "factuality": fact_reason or f"classified as {assessment.kind.replace('_', ' ')}",
        "stability": stability,
        "reuse": reuse,
    }
