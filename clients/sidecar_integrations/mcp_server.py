"""``memctl mcp``: a stdio MCP server that exposes the memory daemon as tools.

It talks to the daemon over the asyncio client, never to the store. Reads and
searches cover every memory of the configured user (whichever agent stored
them, which is the point of a shared memory); writes are tagged with this
server's agent name. Deleting is limited to the user's own memories.

Requires the ``mcp`` package (2.x: ``mcp.server.mcpserver.MCPServer``).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from sidecar_shared import protocol
from sidecar_client.asyncio_client import AsyncClient
from sidecar_shared.errors import RequestFailed, SidecarError
from sidecar_shared.user import default_user_id
from sidecar_integrations.hooks.common import MAX_CONTEXT_CHARS, fit_to_budget, search_context_text

SERVER_NAME = "agent-memory"
DEFAULT_AGENT = "mcp"
INSTRUCTIONS = (
    "Long-term memory about the user, shared with the user's other agents. Call get_context or "
    "search_memories before answering questions that may depend on the user's preferences or past "
    "decisions; call save_memory for durable facts the user states (one fact per call)."
)


def _row(memory: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "memory", "score", "user_id", "agent_id", "created_at", "updated_at")
    return {key: memory[key] for key in keep if memory.get(key) is not None}


def build_server(user_id: str | None = None, agent_id: str = DEFAULT_AGENT,
                 client: AsyncClient | None = None) -> MCPServer:
    """An MCP server whose tools act on ``user_id``'s memories (default: ``$SIDECAR_USER``, the config's ``user_id`` or the login name)."""
    user = user_id or default_user_id()
    daemon = client or AsyncClient(timeout=10.0)
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS)

    async def call(op: str, args: dict[str, Any]) -> Any:
        try:
            return await daemon.call(op, args)
        except SidecarError as exc:  # the model reads this message; keep it actionable
            raise ToolError(f"memory daemon: {exc}") from None

    @server.tool()
    async def search_memories(query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """Search the user's long-term memories; returns the closest ones with similarity scores."""
        found = await call("search", {"query": query, "filters": {"user_id": user},
                                      "top_k": max(1, min(int(top_k), 50))})
        return [_row(m) for m in found.get("results", [])]

    @server.tool()
    async def save_memory(text: str) -> list[dict[str, Any]]:
        """Store one durable fact about the user (verbatim); returns the stored rows."""
        if not text.strip():
            raise ToolError("text is empty")
        stored = await call("add", {"messages": text, "user_id": user, "agent_id": agent_id, "infer": False})
        return [_row(m) | {"event": m.get("event"), "user_id": user, "agent_id": agent_id}
                for m in stored.get("results", [])]

    @server.tool()
    async def list_memories(limit: int = 50) -> list[dict[str, Any]]:
        """List the user's memories (most recent first, up to ``limit``)."""
        found = await call("get_all", {"filters": {"user_id": user}, "top_k": max(1, min(int(limit), 500))})
        rows = [_row(m) for m in found.get("results", [])]
        return sorted(rows, key=lambda r: str(r.get("updated_at") or r.get("created_at") or ""), reverse=True)

    @server.tool()
    async def delete_memory(memory_id: str) -> str:
        """Delete one of the user's memories by id."""
        memory = await call("get", {"memory_id": memory_id})
        if not memory or memory.get("user_id") != user:
            raise ToolError(f"no memory {memory_id} belongs to user {user}")
        await call("delete", {"memory_id": memory_id})
        return f"deleted {memory_id}"

    @server.tool()
    async def get_context(query: str) -> str:
        """Everything memory knows that is relevant to ``query``, as one block ready for the prompt."""
        args = {"query": query, "user_id": user, "agent_id": agent_id, "budget_tokens": MAX_CONTEXT_CHARS // 4}
        try:
            text = str((await daemon.call("context", args)).get("text") or "")
            if text.strip():
                return fit_to_budget(text)
            # empty can mean MEMORY.md lags a fresh save; the search below reads the store itself
        except RequestFailed as exc:
            if exc.code not in (protocol.Code.UNKNOWN_OP, protocol.Code.BAD_REQUEST):
                raise ToolError(f"memory daemon: {exc}") from None
        except SidecarError as exc:
            raise ToolError(f"memory daemon: {exc}") from None
        found = await call("search", {"query": query, "filters": {"user_id": user}, "top_k": 8})
        return fit_to_budget(search_context_text(list(found.get("results", [])))) or "(no relevant memories)"

    return server


def run(user_id: str | None = None, agent_id: str = DEFAULT_AGENT) -> None:
    """Serve MCP over stdin/stdout until the client disconnects."""
    build_server(user_id, agent_id).run("stdio")
