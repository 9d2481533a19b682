"""In-memory stand-ins for the review tests: a scripted judge and reconciler (the store is ``sidecar.testing``'s)."""

from __future__ import annotations

from sidecar.learn.judge.verdict import Verdict
from sidecar.learn.reconcile.decision import Decision

REASONS = {"factuality": "f", "stability": "s", "reuse": "r"}


class EchoJudge:
    """Every utterance is one preference: the text itself."""

    name = "echo"

    def __init__(self) -> None:
        self.calls = 0

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        self.calls += 1
        return Verdict(True, "preference", (text,), REASONS, 0.9, "echo")


class KeywordReconciler:
    """'no longer' deletes the first neighbour, 'now' updates it, anything else is added."""

    def decide(self, fact: str, neighbours, *, utterance: str = "") -> Decision:
        if neighbours and "no longer" in fact:
            return Decision("DELETE", fact, neighbours[0].id, None, "contradicts")
        if neighbours and " now " in f" {fact} ":
            return Decision("UPDATE", fact, neighbours[0].id, fact, "newer")
        return Decision("ADD", fact, None, fact, "new")
