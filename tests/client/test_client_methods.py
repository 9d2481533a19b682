"""The client library's first-class context / session / restore methods and mem0's add default, on a real daemon."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar_client import AsyncClient, Client, Memory

MEM0_EXAMPLE = [{"role": "user", "content": "Hi, I'm Alex. I like to play cricket on weekends."},
                {"role": "assistant", "content": "Hello Alex! I'll remember that."}]


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon("[watch]\non = false\n") as module_daemon:
        yield module_daemon


def test_context_and_session_methods_return_the_wires_shapes(daemon):
    client = Client(daemon.paths, timeout=60.0)
    client.add("I am vegetarian", user_id="cm-user")
    assert client.context("what should I cook?", user_id="cm-user") == \
        client.call("context", {"query": "what should I cook?", "user_id": "cm-user"})
    updated = client.session_update("s1", [{"role": "user", "content": "I fly to Lisbon on Friday"}], user_id="cm-user")
    assert updated["session_id"] == "s1" and updated["messages"] == 1
    assert [s["session_id"] for s in client.session_list(user_id="cm-user")] == ["s1"]
    assert client.session_show("s1", user_id="cm-user") == client.call("session.show", {"session_id": "s1",
                                                                                         "user_id": "cm-user"})
    assert client.session_clear("s1", user_id="cm-user") == {"session_id": "s1", "cleared": True}

    async def from_asyncio() -> tuple[dict, list]:
        async with AsyncClient(daemon.paths, timeout=60.0) as aclient:
            return (await aclient.context("what should I cook?", user_id="cm-user"),
                    await aclient.session_list(user_id="cm-user"))

    context, sessions = asyncio.run(from_asyncio())
    assert "vegetarian" in context["text"] and sessions == client.session_list(user_id="cm-user")


def test_restore_through_the_client_takes_a_prefix(daemon):
    client = Client(daemon.paths, timeout=60.0)
    memory_id = client.add("My bike is green", user_id="cm-restore")["results"][0]["id"]
    client.update(memory_id[:8], text="My bike is red")
    assert client.restore(memory_id[:8])["memory"] == "My bike is green"
    assert client.get(memory_id)["memory"] == "My bike is green"


def test_memory_matches_mem0s_default_and_keeps_the_assistants_pleasantry_out(daemon):
    stored = Memory(daemon.paths, timeout=120.0).add(MEM0_EXAMPLE, user_id="cm-alex")["results"]
    texts = [row["memory"] for row in stored]
    assert any("cricket" in text.lower() for text in texts)
    assert not any("hello alex" in text.lower() for text in texts)
    verbatim = Client(daemon.paths).add(MEM0_EXAMPLE, user_id="cm-verbatim")["results"]  # the documented difference
    assert "Hello Alex! I'll remember that." in [row["memory"] for row in verbatim]
