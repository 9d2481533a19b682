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
            assert all(h["user_id"] == "mcp-alice" for h in hits)

            listed = _payload(await client.call_tool("list_memories", {}))
            assert [m["id"] for m in listed] == [memory_id]

            context = (await client.call_tool("get_context", {"query": "which notes app do I use?"})).content[0].text
            assert "Obsidian" in context and "olives" not in context

            refused = await client.call_tool("delete_memory", {"memory_id": other})
            assert refused.is_error and "mcp-alice" in refused.content[0].text

            deleted = await client.call_tool("delete_memory", {"memory_id": memory_id})
            assert not deleted.is_error
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
