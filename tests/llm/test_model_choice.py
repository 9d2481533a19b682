"""Which Ollama model the judge, reconciler and summariser use: the best *pulled* one in the order
qwen3:4b → qwen2.5:1.5b → llama3.2:1b (``-mem`` re-tags count), an explicit config model always,
and ``memctl doctor`` names the same one. Through the stand-in Ollama server and a real daemon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.ollama_server import FakeOllamaServer
from sidecar.llm.ollama_client import GIB, OllamaClient, OllamaModelMissing, choose_model
from sidecar.testing.daemons import DaemonProcess, running_daemon, short_home, write_config
from sidecar.testing.waiting import wait_until
from sidecar_shared.ollama_models import best_pulled, pulled_as

VERDICT = {"memorize": True, "kind": "personal_fact", "facts": ["Is allergic to penicillin"], "confidence": 0.9,
           "reasons": {"factuality": "a fact", "stability": "lasting", "reuse": "useful"}}


@pytest.mark.parametrize(("pulled", "free", "chosen"), [
    (["llama3.2:1b"], 16 * GIB, "llama3.2:1b"),                      # the showcase's one model, whatever the RAM
    (["llama3.2:1b", "qwen2.5:1.5b"], 16 * GIB, "qwen2.5:1.5b"),
    (["qwen3:4b", "llama3.2:1b"], 16 * GIB, "qwen3:4b"),
    (["qwen3:4b", "llama3.2:1b"], 4 * GIB, "llama3.2:1b"),           # qwen3 does not fit: the next pulled one
    (["qwen3:4b"], 2 * GIB, "qwen3:4b"),                             # nothing fits: the smallest pulled
    (["qwen3:4b-mem", "nomic-embed-text:latest"], 16 * GIB, "qwen3:4b-mem"),   # a re-tag counts
    (["llama3.2-mem:1b"], None, "llama3.2-mem:1b"),
    (["mistral:7b"], 16 * GIB, "qwen3:4b"),                          # none pulled: the one to pull
])
def test_the_best_pulled_model_in_the_seed_order(pulled: list[str], free: int | None, chosen: str) -> None:
    assert choose_model(free_bytes=free, pulled=pulled) == chosen


def test_an_explicit_model_is_honoured_and_names_are_exact() -> None:
    assert choose_model("mistral:7b", free_bytes=GIB, pulled=["llama3.2:1b"]) == "mistral:7b"
    assert pulled_as("qwen3:4b", ["qwen3:4b-mem", "qwen3:4b"]) == "qwen3:4b"  # the exact name first
    assert pulled_as("qwen3:4b", ["qwen3:14b", "qwen3:4b-instruct"]) is None
    assert best_pulled([]) is None


def test_a_client_chosen_model_that_is_not_pulled_falls_back_to_a_pulled_one() -> None:
    with FakeOllamaServer(models=["llama3.2:1b"]) as fake:
        client = OllamaClient(fake.base_url)
        client._automatic["qwen3:4b"] = "qwen3:4b"  # chosen while the server could not be asked
        fake.state.default_reply = {"ok": True}
        reply = client.chat("qwen3:4b", [{"role": "user", "content": "hi"}], schema={"type": "object"})
        assert reply.model == "llama3.2:1b" and fake.chat_requests()[-1]["model"] == "llama3.2:1b"
        with pytest.raises(OllamaModelMissing):  # a configured model is never swapped
            client.chat("qwen2.5:1.5b", [{"role": "user", "content": "hi"}], schema={"type": "object"})


def test_doctor_names_the_model_the_daemon_uses(tmp_path: Path) -> None:
    from sidecar_cli.doctor_local import check_ollama

    with FakeOllamaServer(models=["llama3.2:1b"]) as fake:
        config = {"ollama": {"url": fake.base_url}, "gate": {"backend": "ollama", "reconciler": "embedded"}}
        checks = {c.name: c for c in check_ollama(config, {}, tmp_path / "config.toml")}
        judge = checks["ollama model (judge)"]
        assert judge.status == "ok" and judge.detail.startswith("llama3.2:1b ")
        fake.state.models = ["mistral:7b"]
        checks = {c.name: c for c in check_ollama(config, {}, tmp_path / "config.toml")}
        assert checks["ollama model (judge)"].status == "fail"


@pytest.fixture(scope="module")
def only_llama() -> Iterator[tuple[DaemonProcess, FakeOllamaServer]]:
    with FakeOllamaServer(models=["llama3.2:1b"]) as fake:
        home = short_home("slm-")
        (home / "user-home").mkdir()
        write_config(home, f'[watch]\non = false\n[ollama]\nurl = "{fake.base_url}"\n'
                           '[gate]\nbackend = "ollama"\nreconciler = "embedded"\n')
        with running_daemon(home, env={"HOME": str(home / "user-home")}) as daemon:
            yield daemon, fake


def test_daemon_with_only_llama_pulled_judges_with_it(only_llama: tuple[DaemonProcess, FakeOllamaServer]) -> None:
    daemon, fake = only_llama
    client = daemon.client
    assert client.status()["ingest"]["judge"]["model"] == "llama3.2:1b"
    fake.state.chat_replies.append(VERDICT)
    reply = client.call("session.update", {"session_id": "s", "user_id": "pat", "messages": [
        {"role": "user", "content": "I am allergic to penicillin."}]})
    assert reply["queued"] == 1
    turns = wait_until(lambda: (s := client.status()["ingest"]["session_turns"])["learned"] + s["failed"] >= 1 and s,
                       what="the turn judged")
    assert turns["failed"] == 0
    assert [body["model"] for body in fake.chat_requests()] == ["llama3.2:1b"]
    assert [m["memory"] for m in client.get_all(filters={"user_id": "pat"})["results"]] == ["Is allergic to penicillin"]
