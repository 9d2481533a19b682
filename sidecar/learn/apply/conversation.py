"""``add(messages, infer=True)``: a conversation through the write gate, one utterance at a time.

Each user or assistant message is redacted, judged with the previous message as
context, and its facts are reconciled and applied, the same way the background
worker learns from transcripts. System and tool messages are not judged.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from sidecar.learn.apply.pipeline import GatePipeline, Origin, verdict_summary
from sidecar.learn.redact import redact

JUDGED_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}
CONTEXT_CHARS = 600
UTTERANCE_CHARS = 1000  # provenance kept with each learned fact (already redacted)


class LastTurns:
    """The last judged utterance of each conversation, bounded, thread-safe.

    Chat clients send one turn per ``add(infer=True)``; the judge still reads each turn with the
    one before it ("What are your pets' names?" -> "Luna and Oliver!"), as it does in transcripts.
    A conversation is a scope with a run id; without one, the user's (and agent's) previous turn
    counts only while it is recent: consecutive adds minutes apart are one conversation, an add
    hours later is not.
    """

    def __init__(self, keep: int = 1000, unkeyed_seconds: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._keep = keep
        self._unkeyed_seconds = unkeyed_seconds
        self._clock = clock
        self._last: OrderedDict[tuple[str | None, ...], tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(scope: Mapping[str, str]) -> tuple[str | None, ...]:
        return scope.get("user_id"), scope.get("agent_id"), scope.get("run_id")

    def get(self, scope: Mapping[str, str]) -> str:
        key = self.key(scope)
        with self._lock:
            stamped = self._last.get(key)
        if stamped is None:
            return ""
        at, context = stamped
        if not scope.get("run_id") and self._clock() - at > self._unkeyed_seconds:
            return ""
        return context

    def put(self, scope: Mapping[str, str], context: str) -> None:
        key = self.key(scope)
        with self._lock:
            self._last[key] = (self._clock(), context)
            self._last.move_to_end(key)
            while len(self._last) > self._keep:
                self._last.popitem(last=False)


def utterances(messages: str | list[dict[str, str]]) -> list[tuple[str, str]]:
    """(role, text) pairs to judge; system and tool messages are left out.

    A message's ``name`` (OpenAI-style: who said it, when not the user) is kept as a
    "Name: text" label, so what someone else says is learned as a fact about them.
    """
    if isinstance(messages, str):
        return [("user", messages)]
    return [(JUDGED_ROLES[m["role"]], _with_speaker(m)) for m in messages if m["role"] in JUDGED_ROLES]


def _with_speaker(message: dict[str, str]) -> str:
    name = message.get("name")
    content = message["content"]
    if not isinstance(name, str) or not name.strip() or content.lstrip().startswith(f"{name.strip()}:"):
        return content
    return f"{name.strip()}: {content}"


def learn_conversation(pipeline: GatePipeline, messages: str | list[dict[str, str]], *,
                       scope: Mapping[str, str], metadata: Mapping[str, Any] | None,
                       last_turns: LastTurns | None = None) -> dict[str, Any]:
    """mem0's ``add`` result (``results``) plus the judge's ``verdicts``, one per judged message.

    Raises :class:`~sidecar.learn.judge.verdict.JudgeUnavailable` when the judge cannot answer.
    """
    results: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    context = last_turns.get(scope) if last_turns is not None else ""
    for role, raw in utterances(messages):
        text = redact(raw).text
        origin = Origin(source="api", agent=scope.get("agent_id"), session_id=scope.get("run_id"),
                        metadata={**dict(metadata or {}), "learned_from": "api", "role": role,
                                  "utterance": text[:UTTERANCE_CHARS]})
        learned = pipeline.learn(text, role=role, context=context, scope=scope, origin=origin)
        results += learned.results
        verdicts.append({"role": role, **verdict_summary(learned.verdict)})
        context = f"{role}: {text[-CONTEXT_CHARS:]}"
    if last_turns is not None and context:
        last_turns.put(scope, context)
    return {"results": results, "verdicts": verdicts}
