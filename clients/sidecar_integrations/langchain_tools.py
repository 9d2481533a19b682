"""LangChain tools over the memory daemon (optional extra: ``langchain-core``).

Ready for ``llm.bind_tools([search_memories, save_memory])``. The module-level
tools act for ``$SIDECAR_USER`` (or the config's ``user_id``, or the login name) as agent ``langchain``;
:func:`memory_tools` builds a pair for another user or agent. A failure (daemon down, a refused
secret, a bad request) comes back to the model as a one-line text, never as an exception that
would end the agent's run.
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.tools import BaseTool, tool

from sidecar_client.client import Client
from sidecar_shared.errors import SidecarError
from sidecar_shared.paths import app_paths
from sidecar_shared.user import default_user_id

DEFAULT_AGENT = "langchain"
_local = threading.local()  # Client is not thread-safe; LangChain may run tools in a pool


def _client() -> Client:
    paths = app_paths()
    current = getattr(_local, "client", None)
    if current is None or current.paths != paths:  # SIDECAR_HOME may change between calls
        _local.client = Client(paths, timeout=10.0)
    return _local.client


def memory_tools(user_id: str | None = None, agent_id: str = DEFAULT_AGENT) -> list[BaseTool]:
    """``[search_memories, save_memory]`` scoped to ``user_id`` (default: ``$SIDECAR_USER``, the config's ``user_id`` or the login name, read per call)."""

    @tool
    def search_memories(query: str, top_k: int = 5) -> list[dict[str, Any]] | str:
        """Search the user's long-term memory for facts relevant to the query (preferences, past decisions)."""
        try:
            found = _client().search(query, filters={"user_id": user_id or default_user_id()},
                                     top_k=max(1, min(top_k, 50)))
        except SidecarError as exc:
            return f"memory search failed: {exc}"
        return [{"id": m.get("id"), "memory": m.get("memory"), "score": round(float(m.get("score", 0.0)), 4)}
                for m in found.get("results", [])]

    @tool
    def save_memory(text: str) -> str:
        """Save one durable fact about the user to long-term memory (one fact per call)."""
        try:
            rows = _client().add(text, user_id=user_id or default_user_id(), agent_id=agent_id).get("results", [])
        except SidecarError as exc:
            return f"memory not saved: {exc}"
        return "; ".join(f"{r.get('event', 'ADD')} {r.get('id')}" for r in rows) or "nothing stored"

    return [search_memories, save_memory]


search_memories, save_memory = memory_tools()
