"""The session-turn hand-off: each turn is judged in its own user's scope, with its own session's context.

Before issue 14's session isolation the judge context was keyed by session id only, so bob's turn in
a session with the same id as alice's was judged with alice's last words as its context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.learn.apply.pipeline import Origin
from sidecar.learn.apply.session_turns import SessionGateHandoff
from sidecar.testing.waiting import ready_limit, wait_until


class RecordingPipeline:
    """The slice of GatePipeline the hand-off uses: records what each turn was judged with."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def learn(self, text: str, *, role: str, context: str, scope: Mapping[str, str], origin: Origin) -> None:
        self.calls.append({"text": text, "context": context, "scope": dict(scope), "session": origin.session_id})


def test_turns_keep_their_user_and_their_own_sessions_context() -> None:
    pipeline = RecordingPipeline()
    handoff = SessionGateHandoff(pipeline)  # type: ignore[arg-type]
    handoff.start()
    try:
        turns = [("alice", "I moved to Lyon in May."), ("bob", "I cycle to work."), ("alice", "I work at a bakery."),
                 ("bob", "I like jazz.")]
        for user, text in turns:
            assert handoff([{"role": "user", "content": text}], session_id="s", user_id=user, agent_id=None) == 1
        wait_until(lambda: len(pipeline.calls) == len(turns), what="all turns judged")
    finally:
        handoff.close(timeout=ready_limit())
    assert [(c["scope"], c["session"], c["context"]) for c in pipeline.calls] == [
        ({"user_id": "alice"}, "s", ""),
        ({"user_id": "bob"}, "s", ""),
        ({"user_id": "alice"}, "s", "user: I moved to Lyon in May."),
        ({"user_id": "bob"}, "s", "user: I cycle to work."),
    ]
