"""The context ops: argument checks in front of :class:`MemoryManager`.

``context``, ``session.show`` and ``session.list`` read; ``session.update`` and
``session.clear`` write, serialised per (user, session id). Every op acts on the
sessions of its ``user_id`` (the daemon's default user when absent) only: another
user's session id reads as a missing session.
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


def session_key(args: Mapping[str, Any], default_user: str) -> tuple:
    """Key of ``session.update``/``session.clear``: the user and the session id, checked first."""
    return ("session", _user_id(args, default_user), _session_id(args))


def _user_id(args: Mapping[str, Any], default_user: str) -> str:
    return A.ident(args, "user_id", required=False) or default_user


def _session_id(args: Mapping[str, Any], *, required: bool = True) -> str | None:
    return A.ident(args, "session_id", required=required)


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
        return _user_id(args, default_user)

    def key(args: Mapping[str, Any]) -> tuple:
        return session_key(args, default_user)

    def context(args: Mapping[str, Any]) -> Any:
        budget = None
        if args.get("budget_tokens") is not None:
            budget = A.integer(args, "budget_tokens", 0, 1, MAX_BUDGET_TOKENS)
        request = ContextRequest(
            query=A.string(args, "query", max_len=20_000),
            user_id=user_of(args),
            session_id=_session_id(args, required=False),
            agent_id=A.ident(args, "agent_id", required=False),
            budget_tokens=budget,
            workspace=_workspace(args),
        )
        return hub.context(request)

    def session_update(args: Mapping[str, Any]) -> Any:
        return hub.update_session(_session_id(args), _session_messages(args), user_id=user_of(args),
                                  agent_id=A.ident(args, "agent_id", required=False))

    def session_show(args: Mapping[str, Any]) -> Any:
        session_id = _session_id(args)
        session = hub.show_session(session_id, user_id=user_of(args))
        if session is None:  # another user's session answers exactly like a missing one
            raise OpError(Code.NOT_FOUND, f"no session with id {session_id}")
        return session

    def session_list(args: Mapping[str, Any]) -> Any:
        return hub.list_sessions(user_id=user_of(args))

    def session_clear(args: Mapping[str, Any]) -> Any:
        session_id = _session_id(args)
        return {"session_id": session_id, "cleared": hub.clear_session(session_id, user_id=user_of(args))}

    table.register("context", context, write=False)
    table.register("session.update", session_update, write=True, key=key)
    table.register("session.show", session_show, write=False)
    table.register("session.list", session_list, write=False)
    table.register("session.clear", session_clear, write=True, key=key)
