"""Judge and reconciler calls carry a num_predict cap; a reply that is not a verdict is JudgeReplyInvalid."""

from __future__ import annotations

import pytest

from sidecar.testing.ollama_server import FakeOllamaServer

from sidecar.learn.judge.ollama_judge import VERDICT_NUM_PREDICT, OllamaJudge
from sidecar.learn.judge.verdict import JudgeReplyInvalid, JudgeUnavailable
from sidecar.learn.reconcile.decision import Neighbour
from sidecar.learn.reconcile.reconcilers import OllamaReconciler
from sidecar.llm.ollama_client import OUTPUT_TOKEN_BUDGET, OllamaClient

MODEL = "qwen2.5:1.5b"


@pytest.fixture()
def fake():
    with FakeOllamaServer() as server:
        yield server


def client(fake: FakeOllamaServer) -> OllamaClient:
    return OllamaClient(fake.base_url, timeout_s=5.0)


def test_judge_calls_are_capped(fake) -> None:
    fake.state.mode = "rambling"  # a model that never closes its JSON
    with pytest.raises(JudgeReplyInvalid):
        OllamaJudge(client(fake), model=MODEL).judge("I keep bees on the roof.")
    (body,) = fake.chat_requests()
    assert body["options"]["num_predict"] == VERDICT_NUM_PREDICT <= OUTPUT_TOKEN_BUDGET
    assert body["options"]["num_ctx"] >= VERDICT_NUM_PREDICT


def test_reconciler_calls_are_capped(fake) -> None:
    fake.state.mode = "malformed"
    with pytest.raises(JudgeReplyInvalid):
        OllamaReconciler(client(fake), model=MODEL).decide("Keeps bees", [Neighbour("m1", "Keeps wasps", 0.8)])
    (body,) = fake.chat_requests()
    assert body["options"]["num_predict"] == OUTPUT_TOKEN_BUDGET


def test_invalid_json_is_a_reply_problem_and_a_dead_server_is_not(fake) -> None:
    judge = OllamaJudge(client(fake), model=MODEL)
    fake.state.mode = "malformed"
    with pytest.raises(JudgeReplyInvalid) as invalid:
        judge.judge("I keep bees.")
    assert "bees" not in str(invalid.value)  # the error is kept with the job: it must not echo the text
    fake.state.mode = "down"
    with pytest.raises(JudgeUnavailable) as down:
        judge.judge("I keep bees.")
    assert not isinstance(down.value, JudgeReplyInvalid)
