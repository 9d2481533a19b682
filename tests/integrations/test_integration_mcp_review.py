"""The MCP review tools over stdio, against a daemon that holds facts for review."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from sidecar.testing.daemons import private_daemon  # noqa: E402
from sidecar.testing.waiting import ready_limit  # noqa: E402

MEMCTL = ["-c", "from sidecar_cli.main import main; main()"]


def _payload(result) -> object:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) else content
    return json.loads(result.content[0].text)


def test_mcp_lists_accepts_edits_and_rejects_only_its_users_items() -> None:
    with private_daemon('[watch]\non = false\n[gate]\nmode = "review"\n', prefix="smr-") as daemon:
        def hold(user: str, text: str) -> str:
            (result,) = daemon.client.add(text, user_id=user, infer=True)["results"]
            assert result["event"] == "REVIEW"
            return result["id"]

        tea = hold("mcp-ann", "I drink green tea every morning.")
        toronto = hold("mcp-ann", "My sister lives in Toronto.")
        other = hold("mcp-bob", "I work as a nurse in Lyon.")
        server = StdioServerParameters(command=sys.executable, args=[*MEMCTL, "mcp", "--agent", "test-mcp"],
                                       env={"SIDECAR_HOME": str(daemon.home), "SIDECAR_USER": "mcp-ann"})

        async def scenario() -> None:
            async with Client(server, read_timeout_seconds=ready_limit()) as client:
                listed = _payload(await client.call_tool("list_review_items", {}))
                assert [i["id"] for i in listed] == [tea, toronto] and listed[0]["op"] == "ADD"
                accepted = _payload(await client.call_tool("review_item", {
                    "item_id": tea[:6], "decision": "accept", "text": "Drinks green tea every morning"}))
                assert accepted["status"] == "accepted" and accepted["event"] == "ADD"
                rejected = _payload(await client.call_tool("review_item", {"item_id": toronto, "decision": "reject"}))
                assert rejected["status"] == "rejected"
                refused = await client.call_tool("review_item", {"item_id": other, "decision": "accept"})
                assert refused.is_error and "mcp-ann" in refused.content[0].text
                wrong = await client.call_tool("review_item", {"item_id": other, "decision": "maybe"})
                assert wrong.is_error and "accept" in wrong.content[0].text
                assert _payload(await client.call_tool("list_review_items", {})) == []

        asyncio.run(scenario())
        assert [m["memory"] for m in daemon.client.get_all(filters={"user_id": "mcp-ann"})["results"]] == [
            "Drinks green tea every morning"]
        assert daemon.client.review_count(user_id="mcp-bob") == 1
