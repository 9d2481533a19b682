"""One utterance through the write gate: judge, then reconcile and apply each fact.

Shared by the background worker (transcript jobs) and the synchronous
``add(infer=True)`` op, so both learn the same way. Text reaching this module is
already redacted; facts are redacted again because a judge may rephrase.

Between its steps (before the judge, before each fact is reconciled, before its
provenance is written) the pipeline passes the store's write checkpoint
(:meth:`MemoryStore.pause`): while another user's search is in flight, write work
waits there instead of taking the GIL and a core from it (:mod:`sidecar.rpc.priority`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sidecar.learn.apply.changes import CHANGE_KINDS, change_fact, change_target
from sidecar.learn.apply.project import agent_as_subject, name_project, project_key
from sidecar.learn.apply.provenance import ProvenanceLog, ProvenanceRow
from sidecar.learn.apply.recurrence import SESSIONS_FOR_FACT, SESSIONS_FOR_REQUEST, RecurrenceLog
from sidecar.learn.reconcile.decision import Decision, Neighbour, Reconciler
from sidecar.learn.reconcile.facets import property_probes
from sidecar.learn.reconcile.horizon import horizon
from sidecar.learn.redact import redact
from sidecar.learn.judge.observation import observation_verdict
from sidecar.learn.judge.verdict import Judge, JudgeUnavailable, Verdict
from sidecar.learn.observe.events import OBSERVATION_ROLE, VERIFIED_ROLE
from sidecar.learn.judge.poisoning import REASON, InstructionGuard
from sidecar.rpc.latency import OpLatencies
from sidecar.store.memory_store import MemoryStore

if TYPE_CHECKING:
    from sidecar.learn.review.gate import ReviewGate

NEIGHBOURS = 5
PROBE_HITS = 3  # per property the fact names ("Switched to a MacBook" looks for the stored OS)
EXPIRATION_KEY = "expiration_date"  # mem0's payload key; search skips rows past it (store/chroma_rows.py)
CHANGE = "changes a stored memory"


@dataclass(frozen=True)
class Origin:
    """Where an utterance came from; becomes memory metadata and provenance."""

    source: str
    agent: str | None = None
    line: int | None = None
    session_id: str | None = None
    cwd: str | None = None
    job_key: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Learned:
    """The verdict on an utterance and the mem0-shaped result of each fact it applied."""

    verdict: Verdict
    results: list[dict[str, Any]]


def verdict_summary(verdict: Verdict) -> dict[str, Any]:
    """A verdict as plain JSON values."""
    return {"memorize": verdict.memorize, "kind": verdict.kind, "facts": list(verdict.facts),
            "reasons": dict(verdict.reasons), "score": round(verdict.score, 4), "backend": verdict.backend}


def _never_pause() -> None:
    """The checkpoint of a store without one (a test double): never waits."""


class JudgeTimings:
    """Rolling judge latencies (the daemon's shared latency window) and the count of unavailable calls."""

    def __init__(self, keep: int = 1000) -> None:
        self._window = OpLatencies(window=keep)
        self.failures = 0
        self._lock = threading.Lock()

    def record(self, seconds: float) -> None:
        self._window.record("judge", seconds * 1000.0)

    def failed(self) -> None:
        with self._lock:
            self.failures += 1

    def summary(self) -> dict[str, Any]:
        row = self._window.summary().get("judge")
        if row is None:
            return {"p50_ms": None, "p95_ms": None, "failures": self.failures, "calls": 0}
        return {"p50_ms": row["p50_ms"], "p95_ms": row["p95_ms"], "failures": self.failures, "calls": row["n"]}


class GatePipeline:
    """Judge + reconcile + apply; decide-and-apply holds the store's lock on the scope."""

    def __init__(self, store: MemoryStore, judge: Judge, reconciler: Reconciler, provenance: ProvenanceLog,
                 *, embedder: Any = None, review: ReviewGate | None = None,
                 recurrence: RecurrenceLog | None = None) -> None:
        self.store = store
        self.recurrence = recurrence  # statements turned down once may recur in other sessions
        self.review = review  # per-source modes ([gate] mode): off skips, review holds decisions in the inbox
        self.judge = judge
        self.reconciler = reconciler
        self.provenance = provenance
        self.guard = InstructionGuard()  # memory poisoning: text that instructs an agent is never learned
        self.timings = JudgeTimings()
        self._embedder = embedder
        self._pause: Callable[[], object] = getattr(store, "pause", None) or _never_pause

    def judge_text(self, text: str, *, role: str, context: str = "") -> Verdict:
        """The judge's verdict, timed; :class:`JudgeUnavailable` propagates. Verified observations
        (facts read from tool output) are kept without asking the judge."""
        if role == OBSERVATION_ROLE:
            return observation_verdict(text, backend=getattr(self.judge, "name", ""))
        started = time.perf_counter()
        try:
            verdict = self.judge.judge(text, role=role, context=context)
        except JudgeUnavailable:
            self.timings.failed()
            raise
        self.timings.record(time.perf_counter() - started)
        return verdict

    def learn(self, text: str, *, role: str, context: str, scope: Mapping[str, str], origin: Origin) -> Learned:
        """Judge ``text`` and apply each of its facts to ``scope``."""
        if self.review is not None and (skipped := self.review.skipped(origin)) is not None:
            return Learned(skipped, [])
        if (refused := self.guard.screen(text)) is not None:
            self._record_refusal(refused, origin)
            return Learned(refused, [])
        self._pause()
        verdict = self.judge_text(text, role=role, context=context)
        results = []
        project = project_key(origin.cwd)
        if not verdict.memorize and role == "user":
            verdict = self._recurring(text, verdict, scope, origin, project) or verdict
        if not verdict.memorize and role == "user" and verdict.kind in CHANGE_KINDS:
            changed = self._change(text, verdict, scope, origin)
            if changed is not None:
                return changed
        until = horizon(text) if verdict.memorize else None
        if until is not None:  # "for the next two weeks": kept with an expiry, next to the durable facts
            origin = replace(origin, metadata={**dict(origin.metadata), EXPIRATION_KEY: until.isoformat()})
        for fact in verdict.facts if verdict.memorize else ():
            clean = redact(fact).text
            if clean != fact or not self.guard.allows_fact(clean):
                continue  # a fact still carrying a secret or reading as an instruction to an agent is never stored
            if role == VERIFIED_ROLE:
                clean = agent_as_subject(clean, origin.agent)
            clean = name_project(clean, verdict.kind, project)
            results.append(self.apply_fact(clean, utterance=text, scope=scope, verdict=verdict, origin=origin,
                                           only=("ADD", "NONE") if until is not None else None,
                                           siblings={str(r["id"]) for r in results
                                                     if r.get("event") in ("ADD", "UPDATE")}))
        return Learned(verdict, results)

    def _change(self, text: str, verdict: Verdict, scope: Mapping[str, str], origin: Origin) -> Learned | None:
        """A turned-down statement that changes or retracts a stored fact, judged with that fact (see ``changes``)."""
        if self._embedder is None:
            return None  # without the embedder's cosine there is no safe way to tell a change from chatter
        target = change_target(text, self.neighbours(text, scope))
        if target is None:
            return None
        fact = redact(change_fact(text)).text
        if not self.guard.allows_fact(fact):
            return None
        reasons = {**dict(verdict.reasons), "change": f"{CHANGE}: '{target.text}'"}
        changed = Verdict(True, "correction", (fact,), reasons, verdict.score, verdict.backend)
        result = self.apply_fact(fact, utterance=text, scope=scope, verdict=changed, origin=origin,
                                 only=("UPDATE", "DELETE"))
        if result["event"] not in ("UPDATE", "DELETE"):
            return None
        return Learned(changed, [result])

    def _recurring(self, text: str, verdict: Verdict, scope: Mapping[str, str], origin: Origin,
                   project: str | None) -> Verdict | None:
        """A turned-down statement said again in enough other sessions: a standing fact (see ``recurrence``)."""
        statement = " ".join(text.split())
        if self.recurrence is None or not origin.session_id or not self.recurrence.eligible(statement, verdict.kind):
            return None
        request = verdict.kind == "one_off_instruction"
        sessions = self.recurrence.sessions_saying(statement, user_id=scope.get("user_id", ""), project=project,
                                                   session_id=origin.session_id)
        if sessions < (SESSIONS_FOR_REQUEST if request else SESSIONS_FOR_FACT):
            return None
        kind = "project_convention" if project else "durable_instruction" if request else "personal_fact"
        reasons = {"factuality": f"said again in {sessions} separate sessions",
                   "stability": "recurs across sessions", "reuse": "comes up in session after session"}
        fact = statement.rstrip(" .!")
        return Verdict(True, kind, (fact[:1].upper() + fact[1:],), reasons, 0.6, verdict.backend)

    def apply_fact(self, fact: str, *, utterance: str, scope: Mapping[str, str], verdict: Verdict,
                   origin: Origin, only: tuple[str, ...] | None = None,
                   siblings: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        """Reconcile ``fact`` with its nearest memories in ``scope`` and apply the decision.

        ``only`` limits what may happen: a time-scoped fact is added (with its expiry) or found known,
        never written over a durable one; a change the judge turned down may only update or delete.
        An op outside ``only`` becomes ADD when ADD is allowed, else NONE. ``siblings`` are memories
        just added from the same utterance: "Tabs. Spaces are for people who like pressing keys" is
        one opinion, not a change of mind, so they are not reconciled against; nor is a memory another
        fact of the utterance just updated ("Sorry, four! I always forget the baby" keeps "Has four kids").
        """
        self._pause()  # before the scope lock: a paused write holds nothing another write waits for
        with self.store.scope_lock(dict(scope)):
            neighbours = [n for n in self.neighbours(fact, scope) if n.id not in siblings]
            decision = self.reconciler.decide(fact, neighbours, utterance=utterance)
            if only is not None and decision.op not in only:
                op = "ADD" if "ADD" in only else "NONE"
                decision = Decision(op, fact, None, fact if op == "ADD" else None,
                                    f"{decision.op} not allowed here ({decision.reason})")
            held = None if self.review is None else self.review.hold(
                decision, utterance=utterance, scope=scope, verdict=verdict, origin=origin,
                metadata=self._metadata(verdict, origin))
            if held is not None:
                return held  # waits in the review inbox; applied (with provenance) when accepted
            result = self._apply(decision, scope, self._metadata(verdict, origin))
        if result["event"] in ("ADD", "UPDATE", "DELETE"):
            self._pause()
            self.provenance.record(ProvenanceRow(
                memory_id=str(result["id"]), op=result["event"], source=origin.source, line=origin.line,
                agent=origin.agent, session=origin.session_id, kind=verdict.kind, reasons=dict(verdict.reasons),
                score=round(verdict.score, 4), backend=verdict.backend, decision=decision.reason,
                job_key=origin.job_key))
        return result

    def _record_refusal(self, verdict: Verdict, origin: Origin) -> None:
        # no memory exists for a refusal: the row is keyed by the empty id and found by op/decision
        self.provenance.record(ProvenanceRow(
            memory_id="", op="REJECT", source=origin.source, line=origin.line, agent=origin.agent,
            session=origin.session_id, kind=verdict.kind, reasons=dict(verdict.reasons), score=verdict.score,
            backend=verdict.backend, decision=REASON, job_key=origin.job_key))

    def neighbours(self, fact: str, scope: Mapping[str, str]) -> list[Neighbour]:
        """The nearest memories of ``scope``, scored by the reconciler's embedder (MiniLM cosine).

        The store's score is never used when the embedder is there: mem0's is 1/(1+distance), and
        with hybrid search it is a fused, per-query normalised rank score (the top hit near 1.0
        whatever it says). Without an embedder (an all-Ollama gate) the dense channel's score is
        the best there is; only the Ollama reconciler, which ignores scores, runs then.
        """
        hits = self.store.search(fact, filters=dict(scope), top_k=NEIGHBOURS).get("results", [])
        for probe in property_probes(fact):  # a same-property memory can be far in cosine: look for it by name
            hits += self.store.search(probe, filters=dict(scope), top_k=PROBE_HITS).get("results", [])
        hits = list({str(h["id"]): h for h in hits if isinstance(h.get("memory"), str)}.values())
        if not hits:
            return []
        if self._embedder is not None:
            vectors = self._embedder.embed([fact, *(h["memory"] for h in hits)])
            scores = [float(s) for s in np.asarray(vectors[1:]) @ np.asarray(vectors[0])]
        else:
            scores = [float((h.get("score_details") or {}).get("dense") or h.get("score") or 0.0) for h in hits]
        return [Neighbour(str(h["id"]), h["memory"], min(1.0, max(0.0, s))) for h, s in zip(hits, scores)]

    def _apply(self, decision: Decision, scope: Mapping[str, str], metadata: dict[str, Any]) -> dict[str, Any]:
        target = decision.target_id
        if decision.op in ("UPDATE", "DELETE") and target is not None:
            previous = self.store.get(target)
            if previous is None:  # deleted meanwhile: an update becomes an add, a delete has nothing to do
                return self._apply(Decision("ADD" if decision.op == "UPDATE" else "NONE", decision.fact, None,
                                            decision.new_text, decision.reason), scope, metadata)
            if decision.op == "DELETE":
                self.store.delete(target)
                return {"id": target, "memory": previous.get("memory"), "event": "DELETE"}
            text = decision.new_text or decision.fact
            self.store.update(target, text=text)
            return {"id": target, "memory": text, "event": "UPDATE", "previous_memory": previous.get("memory")}
        if decision.op == "ADD":
            rows = self.store.add(decision.new_text or decision.fact, metadata=metadata, infer=False,
                                  **dict(scope)).get("results", [])
            row = rows[0] if rows else {"id": None, "event": "NONE"}
            return {"id": row.get("id"), "memory": row.get("memory", decision.fact), "event": row.get("event", "ADD")}
        return {"id": target, "memory": decision.fact, "event": "NONE"}

    @staticmethod
    def _metadata(verdict: Verdict, origin: Origin) -> dict[str, Any]:
        values = {**dict(origin.metadata), "source": origin.source, "line": origin.line,
                  "session_id": origin.session_id, "cwd": origin.cwd, "kind": verdict.kind,
                  "judge": verdict.backend, "project": project_key(origin.cwd)}
        return {k: v for k, v in values.items() if v is not None}
