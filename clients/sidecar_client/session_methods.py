"""The context, session and restore methods, shared by the sync and the asyncio client.

Each method returns ``self.call(...)``: a result in :class:`~sidecar_client.client.Client`,
an awaitable in :class:`~sidecar_client.asyncio_client.AsyncClient`, so both have the
same methods with the ops' own result shapes (``sidecar/ops/context_ops.py``, ``store_ops.py``).
"""

from __future__ import annotations

from typing import Any


class ContextMethods:
    """``context``, ``session.*`` and ``restore`` as methods; mixed into both clients."""

    def call(self, op: str, args: dict[str, Any] | None = None, **options: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def context(self, query: str, *, user_id: str | None = None, session_id: str | None = None,
                agent_id: str | None = None, budget_tokens: int | None = None,
                workspace: str | None = None) -> Any:
        """The memory context to inject before a model call about ``query``.

        Returns the ``context`` op's map: ``text`` (what to inject), ``mode`` (direct or
        rag), the memories and session parts it used and their token counts.
        """
        return self.call("context", {"query": query, "user_id": user_id, "session_id": session_id,
                                     "agent_id": agent_id, "budget_tokens": budget_tokens,
                                     "workspace": None if workspace is None else str(workspace)})

    def session_update(self, session_id: str, messages: list[dict[str, str]], *, user_id: str | None = None,
                       agent_id: str | None = None) -> Any:
        """Append ``messages`` ({role, content} maps) to a session; durable facts reach the write gate."""
        return self.call("session.update", {"session_id": session_id, "messages": messages, "user_id": user_id,
                                            "agent_id": agent_id})

    def session_show(self, session_id: str, *, user_id: str | None = None) -> Any:
        """One session (summary, recent turns); :class:`NotFound` when the user has no such session."""
        return self.call("session.show", {"session_id": session_id, "user_id": user_id})

    def session_list(self, *, user_id: str | None = None) -> Any:
        """The user's sessions."""
        return self.call("session.list", {"user_id": user_id})

    def session_clear(self, session_id: str, *, user_id: str | None = None) -> Any:
        """Forget a session's turns and summary (memories learned from it stay): ``{session_id, cleared}``."""
        return self.call("session.clear", {"session_id": session_id, "user_id": user_id})

    def restore(self, memory_id: str, *, user_id: str | None = None, agent_id: str | None = None,
                run_id: str | None = None) -> Any:
        """Undo a memory's latest UPDATE or DELETE from its history (``memory_id``: the id or a 6+ char prefix).

        A deleted memory comes back as a new memory (``restored_from`` names the old id)
        in the scope given here, since history keeps no scope. Returns ``{id, memory,
        event, undid, ...}``.
        """
        return self.call("restore", {"memory_id": memory_id, "user_id": user_id, "agent_id": agent_id,
                                     "run_id": run_id})
