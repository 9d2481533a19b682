"""MemoryManager: the one place that assembles what an agent receives.

A context is the layered system prompt (workspace files + the long-term
block), the session's rolling summary as its own system message, the recent
history and the query. Every part is optional: a failing long-term store or
session file is logged, named in ``degraded`` and left out, and the rest is
still returned.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sidecar.context.longterm import (
    DEFAULT_TOP_K,
    MEMORY_TOKEN_THRESHOLD,
    LongTermBlock,
    LongTermInjector,
    failure,
)
from sidecar.context.md_sync import MemoryMdService
from sidecar.context.prompt import build_system_prompt
from sidecar.context.sessions import SUMMARY_HEADING, SessionManager
from sidecar.context.tokens import estimate_tokens
from sidecar_shared.markers import CONTEXT_BEGIN, CONTEXT_END, wrap_context
from sidecar_shared.projects import project_name

log = logging.getLogger("sidecar.context.hub")

TEXT_SUMMARY_CHARS = 600
PROJECT_OVERFETCH = 3  # hits from other projects are dropped after the search

SearchFn = Callable[[str, str, int], Sequence[Mapping[str, Any]]]


class GateQueue(Protocol):
    """Where new session messages go to be judged for long-term memory."""

    def __call__(self, messages: list[dict[str, str]], *, session_id: str, user_id: str,
                 agent_id: str | None) -> int:
        """Queue ``messages`` without waiting for the verdicts; return how many were queued."""
        ...


@dataclass(frozen=True)
class ContextRequest:
    """The arguments of the ``context`` op, already validated."""

    query: str
    user_id: str
    session_id: str | None = None
    agent_id: str | None = None
    budget_tokens: int | None = None
    workspace: Path | None = None


def _project_of(hit: Mapping[str, Any]) -> str | None:
    metadata = hit.get("metadata")
    project = metadata.get("project") if isinstance(metadata, Mapping) else None
    return project if isinstance(project, str) and project else None


class LongTermUnavailable(RuntimeError):
    """The long-term store cannot be used (raised by a disabled store)."""


class MemoryManager:
    """Builds contexts and keeps sessions; see the module docstring.

    ``search(user_id, query, k)`` returns mem0-shaped search hits; ``gate``
    queues messages for the write gate (None when there is no gate).
    """

    def __init__(self, *, md: MemoryMdService, sessions: SessionManager, search: SearchFn,
                 gate: GateQueue | None, threshold: int = MEMORY_TOKEN_THRESHOLD,
                 top_k: int = DEFAULT_TOP_K, longterm_disabled: bool = False) -> None:
        self.md = md
        self.sessions = sessions
        self._search = search
        self._gate = gate
        self.threshold = threshold
        self.top_k = top_k
        self.longterm_disabled = longterm_disabled
        self._injectors: dict[tuple[str, str | None], LongTermInjector] = {}
        self._lock = threading.Lock()
        self.modes: Counter[str] = Counter()
        self.gate_failures = 0

    # -- long-term part ---------------------------------------------------------------

    def _injector(self, user_id: str, project: str | None = None) -> LongTermInjector:
        with self._lock:
            injector = self._injectors.get((user_id, project))
            if injector is None:
                injector = LongTermInjector(lambda: self._memory_md_text(user_id),
                                            lambda query, k: self._search_hits(user_id, query, k, project),
                                            threshold=self.threshold, top_k=self.top_k, project=project,
                                            stamps=lambda: self.md.stamps_of(user_id))
                self._injectors[(user_id, project)] = injector
            return injector

    def _memory_md_text(self, user_id: str) -> str:
        if self.longterm_disabled:
            raise LongTermUnavailable("long-term store disabled by [context] simulate_longterm_failure")
        return self.md.text_of(user_id)

    def _search_hits(self, user_id: str, query: str, k: int, project: str | None = None) -> Sequence[Mapping[str, Any]]:
        """Hits for ``query``; facts learned in another project stay out of this project's context."""
        if self.longterm_disabled:
            raise LongTermUnavailable("long-term store disabled by [context] simulate_longterm_failure")
        hits = self._search(user_id, query, k * PROJECT_OVERFETCH)
        kept = [h for h in hits if _project_of(h) in (None, project)]
        return kept[:k]

    def _long_term(self, request: ContextRequest) -> tuple[LongTermBlock, list[str]]:
        """The long-term block and why parts of it were unavailable."""
        reasons: list[str] = []
        try:
            if not self.longterm_disabled:
                self.md.flush(request.user_id)  # a memory added a moment ago is in the file, not waiting
            version = None if self.longterm_disabled else self.md.version_of(request.user_id)
        except Exception as exc:
            log.warning("MEMORY.md for %s unavailable: %s", request.user_id, exc)
            reasons.append(failure("MEMORY.md", exc))
            version = None
        project = project_name(str(request.workspace)) if request.workspace else None
        block = self._injector(request.user_id, project).block(request.query, version=version)
        return block, reasons + [reason for reason in block.failures if reason not in reasons]

    # -- the context op ---------------------------------------------------------------

    def context(self, request: ContextRequest) -> dict[str, Any]:
        """What an agent receives for ``request``; never fails because a part did."""
        block, degraded = self._long_term(request)
        summary, history, session_failures = self._session_part(request.user_id, request.session_id)
        degraded += session_failures
        prompt = build_system_prompt(request.workspace, block.text)
        layers: list[dict[str, Any]] = [layer._asdict() for layer in prompt.layers]
        dropped = 0
        if request.budget_tokens is not None:
            history, summary, dropped = _fit_budget(request.budget_tokens, prompt.text, summary, history,
                                                    request.query)
        messages: list[dict[str, str]] = []
        if prompt.text:
            messages.append({"role": "system", "content": prompt.text})
        if summary:
            summary_message = f"{SUMMARY_HEADING}\n{summary}"
            messages.append({"role": "system", "content": summary_message})
            layers.append({"name": "summary", "chars": len(summary_message), "truncated": False})
        if history:
            messages += history
            layers.append({"name": "history", "chars": sum(len(m["content"]) for m in history),
                           "truncated": dropped > 0, "messages": len(history)})
        messages.append({"role": "user", "content": request.query})
        mode = "degraded" if degraded else block.mode
        self.modes[mode] += 1
        return {
            "messages": messages,
            "text": _hook_text(block, summary, mode),
            "mode": mode,
            "tokens": sum(estimate_tokens(m["content"]) for m in messages),
            "memories": [str(m.get("id")) for m in block.memories],
            "layers": layers,
            "degraded": degraded,
            "dropped_messages": dropped,
        }

    def _session_part(self, user_id: str, session_id: str | None) -> tuple[str, list[dict[str, str]], list[str]]:
        """The user's session's summary and history, and why they are missing if the session could not be read."""
        if not session_id:
            return "", [], []
        try:
            session = self.sessions.load(user_id, session_id)
        except Exception as exc:
            log.warning("session %s unavailable for context: %s", session_id, exc)
            return "", [], [failure("session", exc)]
        history = [{"role": str(m["role"]), "content": str(m["content"])} for m in session.messages]
        return session.compressed_context.strip(), history, []

    # -- sessions ------------------------------------------------------------------

    def update_session(self, session_id: str, messages: list[dict[str, str]], *, user_id: str,
                       agent_id: str | None) -> dict[str, Any]:
        """Append ``messages`` to ``user_id``'s session (folding old history) and queue them for the write gate."""
        folds_before = self.sessions.load(user_id, session_id).folds
        session = None
        for message in messages:
            session = self.sessions.add_message(user_id, session_id, message["role"], message["content"])
        assert session is not None
        queued = 0
        if self._gate is not None:
            try:
                queued = self._gate(messages, session_id=session_id, user_id=user_id, agent_id=agent_id)
            except Exception:  # the session is saved; learning from it can be retried by the watcher
                self.gate_failures += 1
                log.exception("handing session %s messages to the write gate failed", session_id)
        return {"session_id": session_id, "messages": len(session.messages),
                "folded": session.folds > folds_before, "compressed": session.compressed_context,
                "queued": queued}

    def show_session(self, session_id: str, *, user_id: str) -> dict[str, Any] | None:
        """``user_id``'s stored session, or None when they have none by that id (another user's is none)."""
        session = self.sessions.find(user_id, session_id)
        return None if session is None else asdict(session)

    def list_sessions(self, *, user_id: str) -> list[dict[str, Any]]:
        """``user_id``'s sessions with their message counts and last updates, newest first."""
        return [{"session_id": session.session_id, "messages": len(session.messages),
                 "folds": session.folds, "updated_at": session.updated_at}
                for session in self.sessions.sessions_of(user_id)]

    def clear_session(self, session_id: str, *, user_id: str) -> bool:
        """Delete ``user_id``'s session; True if it existed."""
        return self.sessions.clear(user_id, session_id)

    # -- status ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Cache counters, mode counts and thresholds, for the daemon's ``status``."""
        injectors = list(self._injectors.values())
        return {
            "threshold_tokens": self.threshold,
            "top_k": self.top_k,
            "cache_hits": sum(i.cache_hits for i in injectors),
            "cache_misses": sum(i.cache_misses for i in injectors),
            "modes": dict(self.modes),
            "gate": "connected" if self._gate is not None else "unavailable",
            "gate_failures": self.gate_failures,
            "longterm_disabled": self.longterm_disabled,
        }


def _unwrap(block_text: str) -> str:
    """The body of a wrapped long-term block (markers and the mode line removed)."""
    lines = block_text.strip("\n").split("\n")
    if lines and lines[0] == CONTEXT_BEGIN:
        lines = lines[1:]
        if lines and lines[0].startswith("[memory mode:"):
            lines = lines[1:]
    if lines and lines[-1] == CONTEXT_END:
        lines = lines[:-1]
    return "\n".join(lines)


def _hook_text(block: LongTermBlock, summary: str, mode: str) -> str:
    # One marker pair around everything: nested pairs would confuse strip_injected.
    parts = []
    if block.text:
        parts.append("Long-term memory:\n" + _unwrap(block.text))
    if summary:
        short = summary if len(summary) <= TEXT_SUMMARY_CHARS else summary[: TEXT_SUMMARY_CHARS - 1] + "…"
        parts.append(f"{SUMMARY_HEADING}\n{short}")
    return wrap_context("\n\n".join(parts), mode) if parts else ""


def _fit_budget(budget: int, system: str, summary: str, history: list[dict[str, str]],
                query: str) -> tuple[list[dict[str, str]], str, int]:
    """Drop the oldest history, then the summary, until the estimate fits ``budget``."""
    fixed = estimate_tokens(system) + estimate_tokens(query)
    summary_cost = estimate_tokens(summary) if summary else 0
    remaining = sum(estimate_tokens(m["content"]) for m in history)
    start = 0
    while start < len(history) and fixed + summary_cost + remaining > budget:
        remaining -= estimate_tokens(history[start]["content"])
        start += 1
    if summary and fixed + summary_cost + remaining > budget:
        summary = ""
    return history[start:], summary, start
