"""Hands session messages to the write gate without making ``session.update`` wait.

``session.update`` (the MemoryManager hub) hands each new turn here; one
background thread judges and reconciles the turns in arrival order. The queue
lives in memory, so turns still waiting at shutdown are not judged (the
transcript watcher sees the same turns in the agent's own transcript).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from sidecar.learn.apply.conversation import CONTEXT_CHARS, JUDGED_ROLES
from sidecar.learn.apply.pipeline import GatePipeline, Origin
from sidecar.learn.redact import redact
from sidecar_shared.markers import contains_injected, strip_injected

log = logging.getLogger("sidecar.learn.session_turns")

MAX_PENDING = 10_000
MAX_CONTEXTS = 10_000  # sessions whose last turn is remembered as judge context


@dataclass(frozen=True)
class _Turn:
    role: str
    text: str
    session_id: str
    user_id: str
    agent_id: str | None


class SessionGateHandoff:
    """The hub's ``GateQueue``: session turns to the :class:`GatePipeline`, in a background thread."""

    def __init__(self, pipeline: GatePipeline, *, max_pending: int = MAX_PENDING) -> None:
        self._pipeline = pipeline
        self._queue: queue.Queue[_Turn | None] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        # (user id, session id) -> the previous turn, as judge context; one user's turn never
        # becomes the context of another user's session that has the same id. Oldest dropped first.
        self._last: dict[tuple[str, str], str] = {}
        self.queued = self.learned = self.failed = self.dropped = 0

    def __call__(self, messages: list[dict[str, str]], *, session_id: str, user_id: str,
                 agent_id: str | None) -> int:
        count = 0
        for message in messages:
            role = JUDGED_ROLES.get(message["role"])
            text = strip_injected(message["content"]).strip()
            if role is None or not text or contains_injected(text):
                continue  # system prompts and our own injected context are never learned
            try:
                self._queue.put_nowait(_Turn(role, text, session_id, user_id, agent_id))
                count += 1
            except queue.Full:
                self.dropped += 1
        self.queued += count
        return count

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="session-gate", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)

    def _run(self) -> None:
        while (turn := self._queue.get()) is not None:
            scope = {"user_id": turn.user_id, **({"agent_id": turn.agent_id} if turn.agent_id else {})}
            text = redact(turn.text).text
            origin = Origin(source="session", agent=turn.agent_id, session_id=turn.session_id,
                            metadata={"learned_from": "session", "role": turn.role})
            key = (turn.user_id, turn.session_id)
            try:
                self._pipeline.learn(text, role=turn.role, context=self._last.pop(key, ""),
                                     scope=scope, origin=origin)
                self.learned += 1
            except Exception:  # one bad turn must not stop the queue
                self.failed += 1
                log.exception("write gate failed on a message of session %s", turn.session_id)
            self._last[key] = f"{turn.role}: {text[-CONTEXT_CHARS:]}"
            if len(self._last) > MAX_CONTEXTS:
                del self._last[next(iter(self._last))]

    def status(self) -> dict[str, int]:
        return {"pending": self._queue.qsize(), "queued": self.queued, "learned": self.learned,
                "failed": self.failed, "dropped": self.dropped}
