"""The demo chat agent against a stand-in for Ollama (streaming) and a real daemon."""

from __future__ import annotations

import subprocess
import sys

from sidecar.testing.ollama_server import FakeOllamaServer

from sidecar.testing.waiting import ready_limit
from sidecar_examples import ollama_stream

GB = 1 << 30
AGENT = [sys.executable, "-m", "sidecar_examples.demo_chat_agent"]


def test_turn_recalls_streams_and_remembers(shared_daemon) -> None:
    shared_daemon.client.add("I am vegetarian", user_id="demo-carol")
    with FakeOllamaServer(models=["qwen2.5:1.5b"], stream_pieces=["How ", "about ", "a veggie ", "curry?"]) as fake:
        done = subprocess.run([*AGENT, "--user-id", "demo-carol", "--ollama-url", fake.base_url, "--show-kept"],
                              input="I'm allergic to shellfish. What should I cook tonight?\n", capture_output=True,
                              text=True,
                              env=shared_daemon.env, timeout=ready_limit())
        requests = fake.chat_requests()
    assert done.returncode == 0, done.stderr
    assert "How about a veggie curry?" in done.stdout
    assert len(requests) == 1 and requests[0]["stream"] is True and requests[0]["model"] == "qwen2.5:1.5b"
    system = requests[0]["messages"][0]
    assert system["role"] == "system" and "Known facts about the user" in system["content"]
    assert "- I am vegetarian" in system["content"]
    assert "options" not in requests[0]  # num_ctx only matters when the daemon's judge is an Ollama model
    # the whole turn went through the gate: the fact is kept, the question and the reply are not
    remembered = [m["memory"] for m in shared_daemon.client.get_all(filters={"user_id": "demo-carol"})["results"]]
    assert any("allergic to shellfish" in m for m in remembered), remembered
    assert not any("cook" in m.lower() or "curry" in m.lower() for m in remembered), remembered
    assert "[remembered: " in done.stderr and "allergic to shellfish" in done.stderr
    assert "write gate" in subprocess.run([*AGENT, "--help"], capture_output=True, text=True).stdout


def test_verbatim_stores_the_message_as_typed(shared_daemon) -> None:
    with FakeOllamaServer(models=["llama3.2:1b"]) as fake:
        subprocess.run([*AGENT, "--user-id", "demo-dave", "--ollama-url", fake.base_url, "--verbatim"],
                       input="what should I cook tonight?\n", capture_output=True, text=True, env=shared_daemon.env,
                       timeout=ready_limit())
        assert fake.chat_requests()
    remembered = [m["memory"] for m in shared_daemon.client.get_all(filters={"user_id": "demo-dave"})["results"]]
    assert remembered == ["what should I cook tonight?"]


def test_ollama_down_says_how_to_fix_it(shared_daemon) -> None:
    with FakeOllamaServer() as fake:
        url = fake.base_url  # the port is free again once the stand-in has stopped
    done = subprocess.run([*AGENT, "--ollama-url", url], input="hello\n", capture_output=True, text=True,
                          env=shared_daemon.env, timeout=ready_limit())
    assert done.returncode != 0
    assert "not answering" in done.stderr and "ollama pull" in done.stderr


def test_model_choice_follows_free_ram_and_what_is_pulled() -> None:
    pulled = ["llama3.2:1b", "qwen2.5:1.5b", "qwen3:4b"]
    assert ollama_stream.pick_model(pulled, 8 * GB) == "qwen3:4b"
    assert ollama_stream.pick_model(pulled, 4 * GB) == "qwen2.5:1.5b"
    assert ollama_stream.pick_model(pulled, 2 * GB) == "llama3.2:1b"
    assert ollama_stream.pick_model(["llama3.2:1b"], 8 * GB) == "llama3.2:1b"  # falls back to what is pulled
    assert ollama_stream.pick_model(["mistral:7b"], 8 * GB) is None
    assert ollama_stream.pick_model(["mistral:7b"], 8 * GB, preferred="mistral") == "mistral:7b"
