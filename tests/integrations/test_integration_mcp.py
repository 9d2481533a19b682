"""``memctl mcp`` over stdio, driven by the mcp package's own client, against a real daemon."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from sidecar.testing.waiting import ready_limit  # noqa: E402

MEMCTL = ["-c", "from sidecar_cli.main import main; main()"]  # what the memctl console script runs


def _payload(result) -> object:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) else content
    return json.loads(result.content[0].text)


def test_mcp_tools_round_trip(shared_daemon) -> None:
    other = shared_daemon.client.add("Bob's secret: he hates olives", user_id="mcp-bob")["results"][0]["id"]
    server = StdioServerParameters(command=sys.executable, args=[*MEMCTL, "mcp", "--agent", "test-mcp"],
                                   env={"SIDECAR_HOME": str(shared_daemon.home), "SIDECAR_USER": "mcp-alice"})

    async def scenario() -> None:
        async with Client(server, read_timeout_seconds=ready_limit()) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            assert {"search_memories", "save_memory", "list_memories", "delete_memory", "get_context"} <= tools

            saved = _payload(await client.call_tool("save_memory", {"text": "I keep my notes in Obsidian"}))
            memory_id = saved[0]["id"]
            stored = shared_daemon.client.get(memory_id)
            assert stored["user_id"] == "mcp-alice" and stored["agent_id"] == "test-mcp"

            hits = _payload(await client.call_tool("search_memories", {"query": "where are my notes?", "top_k": 3}))
            assert hits[0]["id"] == memory_id and isinstance(hits[0]["score"], float)
            assert 0.33 < hits[0]["dense"] <= 1.0  # the embedding closeness next to the fused rank score
            assert all(h["user_id"] == "mcp-alice" for h in hits)

            listed = _payload(await client.call_tool("list_memories", {}))
            assert [m["id"] for m in listed] == [memory_id]

            context = (await client.call_tool("get_context", {"query": "which notes app do I use?"})).content[0].text
            assert "Obsidian" in context and "olives" not in context

            refused = await client.call_tool("delete_memory", {"memory_id": other[:8]})
            assert refused.is_error and "mcp-alice" in refused.content[0].text

            deleted = await client.call_tool("delete_memory", {"memory_id": memory_id[:8]})  # the id list shows
            assert not deleted.is_error and memory_id in deleted.content[0].text
            assert _payload(await client.call_tool("list_memories", {})) == []

    asyncio.run(scenario())
    assert shared_daemon.client.get(other)["memory"] == "Bob's secret: he hates olives"


def test_mcp_reports_a_down_daemon_as_a_tool_error(tmp_path) -> None:
    server = StdioServerParameters(command=sys.executable, args=[*MEMCTL, "mcp"],
                                   env={"SIDECAR_HOME": str(tmp_path / "nobody"), "SIDECAR_USER": "x"})

    async def scenario() -> None:
        async with Client(server, read_timeout_seconds=ready_limit()) as client:
            result = await client.call_tool("search_memories", {"query": "anything"})
            assert result.is_error and "not running" in result.content[0].text

    asyncio.run(scenario())


def test_mcp_tools_declare_bounds_and_annotations_and_refuse_bad_arguments(shared_daemon) -> None:
    server = StdioServerParameters(command=sys.executable, args=[*MEMCTL, "mcp", "--agent", "test-mcp"],
                                   env={"SIDECAR_HOME": str(shared_daemon.home), "SIDECAR_USER": "mcp-carol"})
    expected = {  # tool: (read-only, destructive, idempotent)
        "search_memories": (True, False, True), "list_memories": (True, False, True),
        "get_context": (True, False, True), "save_memory": (False, False, False),
        "delete_memory": (False, True, True),
    }
    bad_calls = [
        ("search_memories", {"query": "notes", "top_k": -1}, "top_k", "greater than or equal to 1"),
        ("search_memories", {"query": "notes", "top_k": 0}, "top_k", "greater than or equal to 1"),
        ("search_memories", {"query": "notes", "top_k": 101}, "top_k", "less than or equal to 100"),
        ("search_memories", {"query": "notes", "top_k": True}, "top_k", "integer"),
        ("search_memories", {"query": "notes", "top_k": "3"}, "top_k", "integer"),
        ("search_memories", {"query": "", "top_k": 3}, "query", "at least 1 character"),
        ("search_memories", {"query": "   "}, "query", "blank"),
        ("list_memories", {"limit": 0}, "limit", "greater than or equal to 1"),
        ("list_memories", {"limit": 10_000}, "limit", "less than or equal to 500"),
        ("save_memory", {"text": ""}, "text", "at least 1 character"),
        ("save_memory", {"text": "x" * 20_001}, "text", "at most 20000 characters"),
        ("delete_memory", {"memory_id": "../../etc"}, "memory_id", "pattern"),
        ("get_context", {"query": ""}, "query", "at least 1 character"),
    ]

    async def scenario() -> None:
        async with Client(server, read_timeout_seconds=ready_limit()) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            for name, (read_only, destructive, idempotent) in expected.items():
                hints = tools[name].annotations
                assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == \
                    (read_only, destructive, idempotent), name
                assert hints.open_world_hint is False and tools[name].title, name
            top_k = tools["search_memories"].input_schema["properties"]["top_k"]
            assert (top_k["minimum"], top_k["maximum"]) == (1, 100)
            assert "Permanently remove" in tools["delete_memory"].description
            assert "new memory" in tools["save_memory"].description and "not changed" in \
                tools["save_memory"].description
            for name, arguments, field, message in bad_calls:
                result = await client.call_tool(name, arguments)
                text = result.content[0].text
                assert result.is_error and field in text and message in text, (name, arguments, text)
            saved = _payload(await client.call_tool("save_memory", {"text": "I bike to work"}))
            assert _payload(await client.call_tool("search_memories", {"query": "commute", "top_k": 100}))
            assert [m["id"] for m in _payload(await client.call_tool("list_memories", {"limit": 1}))] == \
                [saved[0]["id"]]

    asyncio.run(scenario())
    # nothing of the refused calls reached the store
    assert [m["memory"] for m in shared_daemon.client.get_all(filters={"user_id": "mcp-carol"})["results"]] == \
        ["I bike to work"]
