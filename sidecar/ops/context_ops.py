"""The context ops: argument checks in front of :class:`MemoryManager`.

``context``, ``session.show`` and ``session.list`` read; ``session.update`` and
``session.clear`` write, serialised per session id.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.context.hub import ContextRequest, MemoryManager
from sidecar.rpc.dispatch import OpTable
from sidecar_shared.protocol import Code

MAX_SESSION_MESSAGES_PER_CALL = 1000
MAX_BUDGET_TOKENS = 10_000_000


def session_key(args: Mapping[str, Any]) -> tuple:
    return ("session", args.get("session_id"))


def _session_id(args: Mapping[str, Any], *, required: bool = True) -> str | None:
    return A.string(args, "session_id", required=required, max_len=256)


def _workspace(args: Mapping[str, Any]) -> Path | None:
    value = A.string(args, "workspace", required=False, max_len=4096)
    if value is None:
        return None
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise A.bad(f"argument 'workspace' must be an existing folder, got {value!r}")
    return folder


def _session_messages(args: Mapping[str, Any]) -> list[dict[str, str]]:
    value = A.messages(args)
    if isinstance(value, str):
        raise A.bad("argument 'messages' must be a list of {role, content} maps")
    if len(value) > MAX_SESSION_MESSAGES_PER_CALL:
        raise A.bad(f"at most {MAX_SESSION_MESSAGES_PER_CALL} messages per call")
    for index, message in enumerate(value):
        if not message["role"].strip():
            raise A.bad(f"messages[{index}].role must not be empty")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def register_context_ops(table: OpTable, hub: MemoryManager, default_user: str) -> None:
    """Register ``context`` and the ``session.*`` ops on ``table``."""

    def user_of(args: Mapping[str, Any]) -> str:
        return A.string(args, "user_id", required=False, max_len=256) or default_user

    def context(args: Mapping[str, Any]) -> Any:
        budget = None
        if args.get("budget_tokens") is not None:
            budget = A.integer(args, "budget_tokens", 0, 1, MAX_BUDGET_TOKENS)
        request = ContextRequest(
            query=A.string(args, "query", max_len=20_000),
            user_id=user_of(args),
            session_id=_session_id(args, required=False),
            agent_id=A.string(args, "agent_id", required=False, max_len=256),
            budget_tokens=budget,
            workspace=_workspace(args),
        )
        return hub.context(request)

    def session_update(args: Mapping[str, Any]) -> Any:
        return hub.update_session(_session_id(args), _session_messages(args), user_id=user_of(args),
                                  agent_id=A.string(args, "agent_id", required=False, max_len=256))

    def session_show(args: Mapping[str, Any]) -> Any:
        session_id = _session_id(args)
        session = hub.show_session(session_id)
        if session is None:
            raise OpError(Code.NOT_FOUND, f"no session with id {session_id}")
        return session

    def session_list(args: Mapping[str, Any]) -> Any:
        return hub.list_sessions()

    def session_clear(args: Mapping[str, Any]) -> Any:
        session_id = _session_id(args)
        return {"session_id": session_id, "cleared": hub.clear_session(session_id)}

    table.register("context", context, write=False)
    table.register("session.update", session_update, write=True, key=session_key)
    table.register("session.show", session_show, write=False)
    table.register("session.list", session_list, write=False)
    table.register("session.clear", session_clear, write=True, key=session_key)
