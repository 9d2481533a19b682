"""OllamaJudge / OllamaClient / OllamaReconciler against the fake Ollama server."""

from __future__ import annotations


import pytest


import sidecar.process.offline

if not all(sidecar.process.offline.status().values()):
    sidecar.process.offline.apply()

from sidecar.testing.ollama_server import FakeOllamaServer, deterministic_vector

from sidecar.llm.ollama_client import (
    GIB,
    OllamaClient,
    OllamaModelMissing,
    choose_model,
    fit_num_ctx,
)
from sidecar.learn.judge.ollama_judge import VERDICT_SCHEMA, OllamaJudge, parse_verdict
from sidecar.learn.judge.verdict import JudgeUnavailable

GOOD_REPLY = {
    "memorize": True,
    "kind": "personal_fact",
    "facts": ["Keeps bees on the roof"],
    "reasons": {"factuality": "about the user", "stability": "a hobby", "reuse": "gift ideas"},
    "confidence": 0.86,
}


@pytest.fixture()
def fake():
    with FakeOllamaServer() as server:
        yield server


def make_judge(fake: FakeOllamaServer, **kwargs) -> OllamaJudge:
    return OllamaJudge(OllamaClient(fake.base_url, timeout_s=2.0), model="qwen2.5:1.5b", **kwargs)


def test_valid_reply_becomes_verdict_and_request_carries_required_options(fake):
    fake.state.chat_replies.append(GOOD_REPLY)
    verdict = make_judge(fake).judge("I keep two beehives on our roof terrace.")
    assert verdict.memorize and verdict.kind == "personal_fact"
    assert verdict.facts == ("Keeps bees on the roof",)
    assert verdict.score == pytest.approx(0.86)
    assert verdict.backend == "ollama:qwen2.5:1.5b"
    body = fake.chat_requests()[0]
    assert body["stream"] is False and body["think"] is False
    assert body["options"]["temperature"] == pytest.approx(0.1)
    assert body["options"]["num_ctx"] == 4096
    assert body["format"] == VERDICT_SCHEMA
    assert "roof terrace" in body["messages"][-1]["content"]


def test_configured_num_ctx_is_sent(fake):
    fake.state.chat_replies.append(GOOD_REPLY)
    make_judge(fake, num_ctx=8192).judge("I keep bees.")
    assert fake.chat_requests()[0]["options"]["num_ctx"] == 8192


def test_num_ctx_grows_to_fit_long_prompts():
    assert fit_num_ctx(1000) == 4096
    assert fit_num_ctx(30_000) >= 30_000 // 3 + 512
    assert fit_num_ctx(30_000) % 1024 == 0
    assert fit_num_ctx(30_000, configured=2048) == 2048


def test_malformed_json_raises_unavailable(fake):
    fake.state.mode = "malformed"
    with pytest.raises(JudgeUnavailable):
        make_judge(fake).judge("My kayak is bright orange.")


def test_schema_violation_gives_safe_no():
    reply = '{"memorize": "yes", "kind": "personal_fact", "facts": ["x"], "reasons": {}, "confidence": 0.9}'
    verdict = parse_verdict(reply, backend="test")
    assert not verdict.memorize and verdict.facts == ()
    assert "validation" in verdict.reasons["factuality"]


def test_memorize_with_discarded_kind_is_refused():
    reply = dict(GOOD_REPLY, kind="hypothetical")
    import json

    verdict = parse_verdict(json.dumps(reply), backend="test")
    assert not verdict.memorize and verdict.kind == "hypothetical"


def test_server_down_raises_unavailable(fake):
    fake.state.mode = "down"
    with pytest.raises(JudgeUnavailable):
        make_judge(fake).judge("I play the oboe.")


def test_connection_refused_raises_unavailable():
    server = FakeOllamaServer().start()
    url = server.base_url
    server.stop()
    with pytest.raises(JudgeUnavailable):
        OllamaJudge(OllamaClient(url, timeout_s=1.0), model="qwen2.5:1.5b").judge("I play the oboe.")


def test_slow_server_times_out_as_unavailable(fake):
    fake.state.mode, fake.state.delay_s = "slow", 1.0
    judge = OllamaJudge(OllamaClient(fake.base_url, timeout_s=0.2), model="qwen2.5:1.5b")
    with pytest.raises(JudgeUnavailable):
        judge.judge("I play the oboe.")


def test_missing_model_names_the_pull_command(fake):
    judge = OllamaJudge(OllamaClient(fake.base_url), model="qwen3:4b")
    with pytest.raises(OllamaModelMissing) as info:
        judge.judge("I own a tandem bicycle.")
    assert "ollama pull qwen3:4b" in str(info.value)
    assert fake.chat_requests() == []


def test_model_removed_after_the_check_is_reported_as_missing(fake):
    judge = make_judge(fake)
    fake.state.chat_replies.append(GOOD_REPLY)
    judge.judge("I keep bees.")  # the model is checked once per client
    fake.state.models.remove("qwen2.5:1.5b")
    with pytest.raises(OllamaModelMissing):
        judge.judge("I brew cider.")


def test_secret_is_never_sent_to_the_model(fake):
    verdict = make_judge(fake).judge("Router admin password is [REDACTED:password], keep it safe.")
    assert not verdict.memorize and verdict.kind == "secret"
    assert fake.state.requests == []


def test_latency_is_tracked(fake):
    fake.state.chat_replies.extend([GOOD_REPLY, GOOD_REPLY])
    judge = make_judge(fake)
    judge.judge("I keep bees.")
    judge.judge("I brew cider.")
    stats = judge.latency_stats()
    assert stats["count"] == 2 and stats["mean_s"] > 0


@pytest.mark.parametrize(
    ("free", "model"),
    [(8 * GIB, "qwen3:4b"), (6 * GIB, "qwen3:4b"), (4 * GIB, "qwen2.5:1.5b"), (3 * GIB, "llama3.2:1b"), (GIB, "llama3.2:1b")],
)
def test_model_choice_by_free_ram(free, model):
    assert choose_model(free_bytes=free) == model


def test_configured_model_wins_over_ram():
    assert choose_model("mistral:7b", free_bytes=GIB) == "mistral:7b"


def test_fake_embed_endpoint_is_deterministic(fake):
    import json
    import urllib.request

    request = urllib.request.Request(
        fake.base_url + "/api/embed", data=json.dumps({"model": "m", "input": ["a", "b"]}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        vectors = json.loads(response.read())["embeddings"]
    assert vectors == [deterministic_vector("a"), deterministic_vector("b")]
    with urllib.request.urlopen(fake.base_url + "/api/version", timeout=2) as response:
        assert json.loads(response.read())["version"] == "0.0.0-fake"


def test_ollama_reconciler_uses_mem0_prompt_and_maps_ids(fake):
    from sidecar.learn.reconcile.decision import Neighbour
    from sidecar.learn.reconcile.reconcilers import OllamaReconciler

    fake.state.chat_replies.append({"memory": [
        {"id": "0", "text": "Lives in Tromsø", "event": "UPDATE", "old_memory": "Lives in Trondheim"},
        {"id": "1", "text": "Plays chess", "event": "NONE"},
    ]})
    reconciler = OllamaReconciler(OllamaClient(fake.base_url), model="llama3.2:1b")
    neighbours = [Neighbour("mem-a", "Lives in Trondheim", 0.7), Neighbour("mem-b", "Plays chess", 0.1)]
    decision = reconciler.decide("Lives in Tromsø", neighbours)
    assert (decision.op, decision.target_id, decision.new_text) == ("UPDATE", "mem-a", "Lives in Tromsø")
    prompt = fake.chat_requests()[0]["messages"][0]["content"]
    assert "smart memory manager" in prompt and "Lives in Trondheim" in prompt


def test_ollama_reconciler_unknown_id_degrades_to_add(fake):
    from sidecar.learn.reconcile.decision import Neighbour
    from sidecar.learn.reconcile.reconcilers import OllamaReconciler

    fake.state.chat_replies.append({"memory": [{"id": "7", "text": "x", "event": "DELETE"}]})
    reconciler = OllamaReconciler(OllamaClient(fake.base_url), model="llama3.2:1b")
    decision = reconciler.decide("Keeps a sourdough starter", [Neighbour("m1", "Bakes bread", 0.5)])
    assert decision.op == "ADD" and decision.target_id is None
