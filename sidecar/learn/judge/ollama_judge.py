"""The LLM write-gate judge, served by a local Ollama.

One short prompt per utterance; the reply is constrained by a JSON schema
(Ollama's ``format``) and validated again here, because small models still
drift. A reply that is not JSON (or is cut off at the ``num_predict`` cap) is
:class:`JudgeReplyInvalid`: retried a few times, then dead-lettered by the gate
worker; a JSON reply that breaks the rules becomes a safe "don't memorize" with the reason.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from sidecar.learn.judge import rules
from sidecar.llm.ollama_client import OllamaClient, choose_model
from sidecar.learn.judge.verdict import ALL_KINDS, REASON_KEYS, JudgeReplyInvalid, Verdict, kind_is_memorable

# a verdict is ~100 tokens; the cap leaves room for long fact lists and stops a model that never closes its JSON
VERDICT_NUM_PREDICT = 384

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "memorize": {"type": "boolean"},
        "kind": {"type": "string", "enum": list(ALL_KINDS)},
        "facts": {"type": "array", "items": {"type": "string"}},
        "reasons": {
            "type": "object",
            "properties": {key: {"type": "string"} for key in REASON_KEYS},
            "required": list(REASON_KEYS),
        },
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["memorize", "kind", "facts", "reasons", "confidence"],
}

SYSTEM_PROMPT = """You decide what a personal assistant should remember long-term about its user.
Memorize only if ONE piece of content is all of: (1) a claim about the user, people/pets in their life,
their projects, tools or machine, or a standing instruction to the assistant; (2) stable for months,
not today/this week; (3) useful in a future unrelated conversation.
Never memorize: moods, today's situation, greetings/thanks/jokes, questions with nothing storable,
task-scoped requests ("this file", "this time", "for now"), hypotheticals ("if I", "suppose"),
assistant guesses ("maybe", "probably"), or anything with a secret or [REDACTED:...] placeholder.
A fact buried in a question or a paste still counts. Assistant turns count only for verified
observations from files or tool output. Standing rules ("always", "never", "from now on") count.
kind: identity, preference, personal_fact, third_party_fact, project_convention, environment,
durable_instruction, correction (memorize=true) or transient_state, small_talk, question,
one_off_instruction, hypothetical, assistant_hypothesis, secret (memorize=false).
facts: short English statements without a subject for the user ("Is allergic to horses",
"Prefers httpx over requests"); others by relation ("Wife is a surgeon"). Empty if not memorizing.
reasons: one short phrase each for factuality, stability, reuse. confidence: 0..1 that it should be memorized."""


class OllamaJudge:
    """Write-gate judge backed by an Ollama model (see :func:`choose_model` for the default)."""

    name = "ollama"

    def __init__(
        self,
        client: OllamaClient | None = None,
        *,
        model: str | None = None,
        num_ctx: int | None = None,
    ) -> None:
        self.client = client or OllamaClient()
        self.model = choose_model(model)
        self.num_ctx = num_ctx

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        """Judge one utterance; raises :class:`JudgeUnavailable` when Ollama cannot answer now.

        :class:`JudgeReplyInvalid` (a subclass) when it answered something that is not a verdict.
        """
        if rules.has_redaction(text) or rules.looks_like_secret(text):
            return _safe_no(self.name, "secret", "contains a secret value; never sent to the model")
        turn = f"Previous turn: {context}\n" if context else ""
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{turn}Speaker: {role}\nUtterance:\n{text}"},
        ]
        reply = self.client.chat(self.model, messages, schema=VERDICT_SCHEMA, num_ctx=self.num_ctx,
                                 num_predict=VERDICT_NUM_PREDICT)
        return parse_verdict(reply.content, backend=f"{self.name}:{self.model}")

    def latency_stats(self) -> dict[str, float]:
        """Mean / median / max seconds of the recent chat calls (empty if none yet)."""
        values = list(self.client.latencies)
        if not values:
            return {}
        return {"count": float(len(values)), "mean_s": statistics.fmean(values),
                "median_s": statistics.median(values), "max_s": max(values)}


def parse_verdict(content: str, *, backend: str) -> Verdict:
    """Validate a model reply against :data:`VERDICT_SCHEMA` and the gate's own rules."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise JudgeReplyInvalid(f"judge reply is not JSON ({len(content)} characters)") from exc
    if not isinstance(data, dict):
        raise JudgeReplyInvalid("judge reply is not a JSON object")
    problems = _schema_problems(data)
    if problems:
        return _safe_no(backend, "small_talk", "model reply failed validation: " + "; ".join(problems))
    kind = data["kind"]
    facts = tuple(f.strip() for f in data["facts"] if f.strip())
    reasons = {key: str(data["reasons"].get(key, ""))[:200] for key in REASON_KEYS}
    confidence = float(min(1.0, max(0.0, data["confidence"])))
    if data["memorize"] and not kind_is_memorable(kind):
        return _safe_no(backend, kind, f"model said memorize but kind {kind} is never stored")
    if data["memorize"] and not facts:
        return _safe_no(backend, kind if not kind_is_memorable(kind) else "small_talk", "model said memorize without facts")
    if not data["memorize"]:
        # a "no" whose kind is a storable one is left as "no": the gate fails closed
        return Verdict(False, kind if not kind_is_memorable(kind) else "small_talk", (), reasons, confidence, backend)
    return Verdict(True, kind, facts, reasons, confidence, backend)


def _schema_problems(data: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(data.get("memorize"), bool):
        problems.append("memorize is not a boolean")
    if data.get("kind") not in ALL_KINDS:
        problems.append(f"unknown kind {data.get('kind')!r}")
    facts = data.get("facts")
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        problems.append("facts is not a list of strings")
    if not isinstance(data.get("reasons"), dict):
        problems.append("reasons is not an object")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        problems.append("confidence is not a number")
    return problems


def _safe_no(backend: str, kind: str, why: str) -> Verdict:
    return Verdict(
        memorize=False,
        kind=kind,
        facts=(),
        reasons={"factuality": why, "stability": "not assessed", "reuse": "not assessed"},
        score=0.0,
        backend=backend,
    )
