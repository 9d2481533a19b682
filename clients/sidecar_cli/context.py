"""``memctl context`` and ``memctl session …``: what an agent would receive,
and the short-term sessions behind it. Talks to the daemon through
:meth:`Client.call` only."""

from __future__ import annotations

import os
from typing import Any

import click

from sidecar_cli import render
from sidecar_shared.user import default_user_id
from sidecar_cli.common import client, emit, handle_errors, json_option
from sidecar_shared.errors import NotFound


def render_context(result: dict[str, Any]) -> str:
    """The messages of a ``context`` result, one headed block per message."""
    head = (f"mode: {result.get('mode')}   tokens: {result.get('tokens')}   "
            f"memories: {len(result.get('memories', []))}   "
            f"layers: {', '.join(layer['name'] for layer in result.get('layers', [])) or '-'}")
    out = [head]
    if result.get("degraded"):
        out.append("degraded: " + "; ".join(result["degraded"]))
    for index, message in enumerate(result.get("messages", []), start=1):
        out += ["", f"── [{index}] {message['role']} " + "─" * 40, message["content"]]
    return "\n".join(out)


@click.command(name="context")
@click.argument("question")
@click.option("--user", "user_id", default=None, help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")
@click.option("--session", "session_id", default=None, help="Session whose history to include.")
@click.option("--agent", "agent_id", default=None, help="Agent id.")
@click.option("--workspace", default=None, type=click.Path(file_okay=False),
              help="Folder with SOUL.md, IDENTITY.md, USER.md, AGENTS.md, skills/.")
@click.option("--budget", "budget_tokens", default=None, type=click.IntRange(1), help="Token budget.")
@click.option("--text", "as_text", is_flag=True, help="Print only the marked plain-text block for hooks.")
@json_option
@handle_errors
def context_command(question: str, user_id: str | None, session_id: str | None, agent_id: str | None,
                    workspace: str | None, budget_tokens: int | None, as_text: bool, as_json: bool) -> None:
    """Show the context an agent would receive for QUESTION."""
    args = {"query": question, "user_id": user_id or default_user_id(), "session_id": session_id,
            "agent_id": agent_id, "budget_tokens": budget_tokens,
            "workspace": os.path.abspath(workspace) if workspace else None}
    result = client().call("context", args)
    if as_text and not as_json:
        click.echo(result.get("text", ""))
        return
    emit(as_json, result, lambda: render_context(result))


@click.group(name="session")
def session_group() -> None:
    """Short-term sessions: history and rolling summary."""


def user_option(command: Any) -> Any:
    """``--user``: sessions belong to one user; another user's session reads as missing."""
    return click.option("--user", "user_id", default=None,
                        help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")(command)


@session_group.command(name="show")
@click.argument("session_id")
@user_option
@json_option
@handle_errors
def session_show(session_id: str, user_id: str | None, as_json: bool) -> None:
    """Show one of your sessions: its summary and messages."""
    data = client().call("session.show", {"session_id": session_id, "user_id": user_id or default_user_id()})

    def text() -> str:
        out = [f"session {data['session_id']}: {len(data['messages'])} messages, {data['folds']} folds, "
               f"updated {data['updated_at'][:19]}"]
        if data.get("compressed_context"):
            out += ["", "compressed context:", data["compressed_context"]]
        rows = [[m.get("role"), (m.get("created_at") or "")[:19], m.get("content")] for m in data["messages"]]
        out += ["", render.table(rows, ["role", "when", "content"], [0, 0, 90]) if rows else "(no messages)"]
        return "\n".join(out)

    emit(as_json, data, text)


@session_group.command(name="list")
@user_option
@json_option
@handle_errors
def session_list(user_id: str | None, as_json: bool) -> None:
    """List your sessions, most recently updated first."""
    rows = client().call("session.list", {"user_id": user_id or default_user_id()})
    emit(as_json, rows, lambda: render.table(
        [[r["session_id"], r["messages"], r.get("folds", 0), r["updated_at"][:19]] for r in rows],
        ["session", "messages", "folds", "updated"]) if rows else "(no sessions)")


@session_group.command(name="clear")
@click.argument("session_id")
@user_option
@json_option
@handle_errors
def session_clear(session_id: str, user_id: str | None, as_json: bool) -> None:
    """Delete one of your sessions: its history and summary."""
    result = client().call("session.clear", {"session_id": session_id, "user_id": user_id or default_user_id()})
    if not result.get("cleared") and not as_json:
        raise NotFound("not_found", f"no session with id {session_id}")
    emit(as_json, result, lambda: f"cleared session {session_id}")
