"""The asyncio client against the real daemon, and its Lazy Pirate resend against a scripted one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scripted_daemon import ScriptedDaemon

from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_shared import protocol
from sidecar_client.asyncio_client import AsyncClient
from sidecar_client.client import Client
from sidecar_shared.errors import DaemonNotRunning, DaemonTimeout, RequestFailed
from sidecar_integrations.hooks.common import Deadline, fetch_context
from sidecar_shared.paths import app_paths


def test_every_op_against_the_real_daemon(shared_daemon) -> None:
    async def scenario() -> None:
        async with AsyncClient(shared_daemon.paths, timeout=ready_limit()) as client:
            assert isinstance(await client.ping(), dict)
            assert "version" in await client.status()
            added = (await client.add("I drink oolong tea every morning", user_id="async-user"))["results"][0]
            memory_id = added["id"]
            hits = (await client.search("what tea do I drink?", filters={"user_id": "async-user"}, top_k=3))["results"]
            assert hits[0]["id"] == memory_id and isinstance(hits[0]["score"], float)
            assert (await client.get(memory_id))["memory"] == "I drink oolong tea every morning"
            await client.update(memory_id, text="I drink green tea every morning")
            events = [row["event"] for row in await client.history(memory_id)]
            assert "ADD" in events and "UPDATE" in events
            listed = await asyncio.gather(*(client.get_all(filters={"user_id": "async-user"}) for _ in range(4)))
            assert all([m["id"] for m in page["results"]] == [memory_id] for page in listed)
            await client.delete(memory_id)
            assert (await client.get_all(filters={"user_id": "async-user"}))["results"] == []
            await client.add("temporary", user_id="async-user")
            await client.delete_all(user_id="async-user")
            assert (await client.get_all(filters={"user_id": "async-user"}))["results"] == []
            with pytest.raises(RequestFailed) as failed:
                await client.call("no.such.op")
            assert failed.value.code == protocol.Code.UNKNOWN_OP

    asyncio.run(scenario())


def test_daemon_down_raises_at_once(tmp_path: Path) -> None:
    client = AsyncClient(app_paths({"SIDECAR_HOME": str(tmp_path)}))
    with pytest.raises(DaemonNotRunning):
        asyncio.run(client.ping())


def test_lazy_pirate_resends_the_same_request_id(tmp_path: Path) -> None:
    def drop_first(request: dict) -> dict | None:
        seen = sum(1 for r in daemon.requests if r["id"] == request["id"])
        return None if seen == 1 else protocol.ok(request["id"], {"stored": request["args"]["messages"]})

    with ScriptedDaemon(tmp_path / "home", drop_first) as daemon:
        # the first attempt waits its full second; on a busy machine a late answer may cost one more resend
        client = AsyncClient(daemon.paths, timeout=1.0, retries=3)
        result = asyncio.run(client.add("once only", user_id="u"))
        client.close()
    assert result == {"stored": "once only"}
    assert len(daemon.requests) >= 2 and len({r["id"] for r in daemon.requests}) == 1


def test_gives_up_after_the_retries(tmp_path: Path) -> None:
    with ScriptedDaemon(tmp_path / "home", lambda request: None) as daemon:
        client = AsyncClient(daemon.paths, timeout=0.2, retries=1)
        with pytest.raises(DaemonTimeout):
            asyncio.run(client.search("anything", filters={"user_id": "u"}))
        client.close()
        # the last attempt was sent before the client gave up; the stand-in records it when its thread runs
        wait_until(lambda: len(daemon.requests) >= 2, what="the stand-in to record the resend")
    assert len(daemon.requests) == 2 and len({r["id"] for r in daemon.requests}) == 1


def test_hook_context_falls_back_to_search_on_unknown_op(tmp_path: Path) -> None:
    hits = [{"id": "m1", "memory": "prefers dark mode", "score": 0.8, "user_id": "u"}]

    def old_daemon(request: dict) -> dict:
        if request["op"] == "search":
            assert request["args"]["filters"] == {"user_id": "u"}
            return protocol.ok(request["id"], {"results": hits})
        return protocol.error(request["id"], protocol.Code.UNKNOWN_OP, f"unknown op {request['op']!r}")

    with ScriptedDaemon(tmp_path / "home", old_daemon) as daemon:
        client = Client(daemon.paths, timeout=ready_limit(), retries=0)
        result = fetch_context(client, "which theme?", user_id="u", agent_id="claude-code",
                               deadline=Deadline(ready_limit()))
        client.close()
    assert [r["op"] for r in daemon.requests] == ["context", "search"]
    assert result.mode == "search" and "- prefers dark mode" in result.text
    assert result.text.startswith("<agent-memory-context>") and result.text.endswith("</agent-memory-context>")
