"""The write gate's shared vocabulary: the verdict, the judge protocol, the kinds.

A judge reads one utterance and decides whether anything in it belongs in
long-term memory. Every backend (embedded classifier, Ollama LLM) returns the
same :class:`Verdict`, so the daemon can swap them without caring which ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

#: Kinds whose content is stored.
MEMORABLE_KINDS: tuple[str, ...] = (
    "identity",
    "preference",
    "personal_fact",
    "third_party_fact",
    "project_convention",
    "environment",
    "durable_instruction",
    "correction",
)
#: Kinds that are never stored.
DISCARDED_KINDS: tuple[str, ...] = (
    "transient_state",
    "small_talk",
    "question",
    "one_off_instruction",
    "hypothetical",
    "assistant_hypothesis",
    "secret",
)
ALL_KINDS: tuple[str, ...] = MEMORABLE_KINDS + DISCARDED_KINDS
REASON_KEYS: tuple[str, ...] = ("factuality", "stability", "reuse")


def kind_is_memorable(kind: str) -> bool:
    """True if content of ``kind`` goes into long-term memory."""
    return kind in MEMORABLE_KINDS


@dataclass(frozen=True)
class Verdict:
    """A judge's decision about one utterance.

    ``facts`` is empty whenever ``memorize`` is false. ``reasons`` holds one
    short human-readable sentence per trigger ("factuality", "stability",
    "reuse"). ``score`` is the judge's confidence (0..1) that the utterance
    should be memorized, whatever the final decision.
    """

    memorize: bool
    kind: str
    facts: tuple[str, ...]
    reasons: Mapping[str, str] = field(default_factory=dict)
    score: float = 0.0
    backend: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ALL_KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside 0..1")
        if not self.memorize and self.facts:
            raise ValueError("a verdict that does not memorize cannot carry facts")
        # frozen dataclass: freeze the mapping too, so a verdict can be shared across threads
        object.__setattr__(self, "facts", tuple(self.facts))
        object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))


@runtime_checkable
class Judge(Protocol):
    """Anything that can judge an utterance for long-term memory."""

    name: str

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        """Judge ``text`` spoken by ``role``; ``context`` is the previous turn, if needed."""
        ...


class JudgeUnavailable(Exception):
    """The backend cannot answer right now (server down, timeout, bad reply); retry later."""


class JudgeReplyInvalid(JudgeUnavailable):
    """The model answered, but not with what was asked (not JSON, cut off): a retry may help, a few times.

    Unlike a server that is down, each of these counts toward the job's dead letter
    (``[gate] max_attempts``): a model that always answers garbage must not be asked forever.
    """
