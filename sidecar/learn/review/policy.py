"""Which mode the write gate runs in for each source: ``auto``, ``review`` or ``off``.

A source is the transcript agent (``claude-code``, ``codex``, ``gemini``,
``aider``, ``generic``), ``session`` for turns handed over by ``session.update``,
or ``conversation`` for ``add(infer=True)``. ``[gate.sources]`` overrides
``[gate] mode`` per source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sidecar.config.sections import GateConfig
from sidecar.learn.judge.verdict import Verdict

if TYPE_CHECKING:
    from sidecar.learn.apply.pipeline import Origin

AUTO, REVIEW, OFF = "auto", "review", "off"
SESSION, CONVERSATION = "session", "conversation"


def source_of(origin: Origin) -> str:
    """The ``[gate.sources]`` name of the place an utterance came from."""
    learned_from = origin.metadata.get("learned_from")
    if learned_from == "session" or origin.source == "session":
        return SESSION
    if learned_from == "api" or origin.source == "api":
        return CONVERSATION
    return origin.agent or "generic"


def not_judged(source: str) -> Verdict:
    """The verdict recorded for an utterance the gate did not read because its source is off.

    A verdict needs a kind; ``transient_state`` is the discarded kind that claims
    least, and ``backend = "off"`` with the reason says what really happened.
    """
    return Verdict(memorize=False, kind="transient_state", facts=(), score=0.0, backend=OFF,
                   reasons={"gate": f"not judged: learning from {source} is off ([gate] mode)"})


class GatePolicy:
    """The configured mode of each source."""

    def __init__(self, config: GateConfig) -> None:
        self._config = config

    def use(self, config: GateConfig) -> None:
        """Switch to the modes of a re-read config (SIGHUP): they apply to the next utterance."""
        self._config = config

    def mode(self, origin: Origin) -> str:
        """``auto``, ``review`` or ``off`` for the source of ``origin``."""
        return self._config.mode_for(source_of(origin))

    def summary(self) -> dict[str, Any]:
        """The default mode and the per-source overrides, for ``status``."""
        return {"mode": self._config.mode, "sources": dict(self._config.sources)}


def same_gate_but_modes(old: GateConfig, new: GateConfig) -> bool:
    """True if two ``[gate]`` tables differ at most in their modes (which apply without a restart)."""
    return old == new.model_copy(update={"mode": old.mode, "sources": old.sources})
