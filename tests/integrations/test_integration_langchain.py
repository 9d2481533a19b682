"""The LangChain tools, invoked the way an agent executor invokes them, against a real daemon."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from sidecar_integrations.langchain_tools import memory_tools, save_memory, search_memories  # noqa: E402


def test_tools_save_and_search_for_the_configured_user(shared_daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDECAR_HOME", str(shared_daemon.home))
    monkeypatch.setenv("SIDECAR_USER", "lc-user")
    receipt = save_memory.invoke({"text": "My favourite editor is Helix"})
    memory_id = receipt.split()[1]
    stored = shared_daemon.client.get(memory_id)
    assert stored["user_id"] == "lc-user" and stored["agent_id"] == "langchain"

    hits = search_memories.invoke({"query": "which editor do I like?", "top_k": 3})
    assert hits[0]["id"] == memory_id and hits[0]["memory"] == "My favourite editor is Helix"

    other_search, _ = memory_tools(user_id="lc-somebody-else")
    assert all(h["id"] != memory_id for h in other_search.invoke({"query": "which editor do I like?"}))


def test_tools_expose_schemas_for_bind_tools() -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    specs = {spec["function"]["name"]: spec["function"] for spec in map(convert_to_openai_tool, memory_tools("x"))}
    assert set(specs) == {"search_memories", "save_memory"}
    assert specs["search_memories"]["parameters"]["required"] == ["query"]
    assert specs["save_memory"]["parameters"]["required"] == ["text"]
    assert "long-term memory" in specs["search_memories"]["description"]


def test_failures_reach_the_model_as_text_not_exceptions(shared_daemon, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path) -> None:
    monkeypatch.setenv("SIDECAR_HOME", str(shared_daemon.home))
    monkeypatch.setenv("SIDECAR_USER", "lc-errors")
    refused = save_memory.invoke({"text": "my password is hunter2-Xq9!vT7#pL"})
    assert isinstance(refused, str) and refused.startswith("memory not saved:") and "hunter2" not in refused
    monkeypatch.setenv("SIDECAR_HOME", str(tmp_path / "no-daemon-here"))
    down = search_memories.invoke({"query": "anything"})
    assert isinstance(down, str) and down.startswith("memory search failed:") and "not running" in down
