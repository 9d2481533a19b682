"""The apply pipeline's hook: skip sources that are off, hold the decisions of sources under review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sidecar.learn.apply.pipeline import verdict_summary
from sidecar.learn.judge.verdict import Verdict
from sidecar.learn.reconcile.decision import Decision
from sidecar.learn.review.inbox import Proposal, ReviewInbox
from sidecar.learn.review.policy import OFF, REVIEW, GatePolicy, not_judged, source_of

if TYPE_CHECKING:
    from sidecar.learn.apply.pipeline import Origin

REVIEW_EVENT = "REVIEW"


def provenance_of(origin: Origin, project: str | None = None) -> dict[str, Any]:
    """Where the utterance came from, without its free-form metadata (that goes to the memory)."""
    values = {"source": origin.source, "line": origin.line,
              "agent": origin.agent, "session_id": origin.session_id, "cwd": origin.cwd, "job_key": origin.job_key,
              "learned_from": origin.metadata.get("learned_from"), "role": origin.metadata.get("role"),
              "project": project}
    return {key: value for key, value in values.items() if value is not None}


class ReviewGate:
    """Decides, per source, whether the pipeline judges, applies, or holds for review."""

    def __init__(self, policy: GatePolicy, inbox: ReviewInbox, store: Any) -> None:
        self.policy = policy
        self.inbox = inbox
        self._store = store
        self.held = self.skipped_count = 0

    def skipped(self, origin: Origin) -> Verdict | None:
        """The verdict to record instead of judging, when learning from this source is off; else None."""
        if self.policy.mode(origin) != OFF:
            return None
        self.skipped_count += 1
        return not_judged(source_of(origin))

    def hold(self, decision: Decision, *, utterance: str, scope: Mapping[str, str], verdict: Verdict,
             origin: Origin, metadata: Mapping[str, Any]) -> dict[str, Any] | None:
        """Put ``decision`` in the inbox when its source is under review; None to apply it now.

        The result is shaped like an applied one: ``event`` is ``REVIEW`` and ``id`` the
        inbox item's id, or ``NONE`` when the user rejected this very fact before.
        """
        if decision.op == "NONE" or self.policy.mode(origin) != REVIEW:
            return None
        target_text = None
        if decision.target_id is not None:
            target = self._store.get(decision.target_id)
            target_text = target.get("memory") if target else None
        text = decision.new_text or decision.fact
        proposed = self.inbox.propose(Proposal(
            op=decision.op, text=text, scope=dict(scope), source=source_of(origin), target_id=decision.target_id,
            target_text=target_text, utterance=utterance, origin=provenance_of(origin, metadata.get("project")),
            verdict=verdict_summary(verdict), reason=decision.reason, metadata=dict(metadata)))
        if proposed.item_id is None:
            return {"id": decision.target_id, "memory": text, "event": "NONE", "review": "rejected before"}
        self.held += proposed.state == "new"
        return {"id": proposed.item_id, "memory": text, "event": REVIEW_EVENT, "op": decision.op,
                "target_id": decision.target_id}

    def status(self) -> dict[str, Any]:
        """Modes, pending items, and what this run held or skipped."""
        return {**self.policy.summary(), "pending": self.inbox.count(), "held": self.held,
                "skipped": self.skipped_count}
