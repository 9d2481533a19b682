"""``memctl history`` (why a memory exists or changed) and ``memctl restore`` (undo its latest change).

Loaded on first use through ``cli.LAZY_COMMANDS``.
"""

from __future__ import annotations

import os
from typing import Any

import click

from sidecar_cli import render
from sidecar_cli.common import client, emit, handle_errors, json_option, scope_of, scope_options


def why(entry: dict[str, Any]) -> str:
    """One short line of provenance: where the fact was read, who said it, the gate's verdict and decision."""
    prov = entry.get("provenance")
    if not isinstance(prov, dict):
        return "written directly (CLI, client or MCP)"
    parts = []
    if prov.get("source"):
        where = os.path.basename(str(prov["source"]))
        parts.append(f"{where}:{prov['line']}" if prov.get("line") is not None else where)
    if prov.get("agent"):
        parts.append(str(prov["agent"]))
    verdict = " ".join(str(p) for p in (prov.get("kind"), prov.get("backend")) if p)
    if isinstance(prov.get("score"), (int, float)):
        verdict += f" {prov['score']:.2f}"
    if verdict.strip():
        parts.append(f"judge: {verdict.strip()}")
    if prov.get("decision"):
        parts.append(f"decision: {prov['decision']}")
    return "; ".join(parts) or "written by the write gate"


def history_table(rows: list[dict[str, Any]]) -> str:
    return render.table(
        [[r.get("event"), (r.get("updated_at") or r.get("created_at") or "")[:19], r.get("old_memory"),
          r.get("new_memory"), why(r)] for r in rows],
        ["event", "when", "old", "new", "why"], [0, 0, 50, 50, 100])


@click.command()
@click.argument("memory_id")
@json_option
@handle_errors
def history(memory_id: str, as_json: bool) -> None:
    """Show how a memory was created and changed, and why (source file and line, agent, verdict, decision).

    MEMORY_ID: the full id or a unique prefix of 6+ characters; deleted memories keep their history.
    """
    rows = client().history(memory_id)
    emit(as_json, rows, lambda: history_table(rows) if rows else "(no history)")


@click.command()
@click.argument("memory_id")
@scope_options
@json_option
@handle_errors
def restore(memory_id: str, user_id: str | None, agent_id: str | None, run_id: str | None, as_json: bool) -> None:
    """Undo the latest UPDATE or DELETE of a memory, from its history.

    An update is undone by writing the old text back; a deleted memory comes back
    as a new memory (new id, metadata restored_from = the old id) in the scope
    --user/--agent/--run name (default: your user), since history keeps no scope.
    The restore is itself recorded in history (and can be undone the same way).
    """
    result = client().restore(memory_id, **scope_of(user_id, agent_id, run_id))
    if result.get("undid") == "DELETE":
        text = f"restored deleted {str(result.get('restored_from'))[:8]} as {str(result.get('id'))[:8]}: " \
               f"{result.get('memory')}"
    else:
        text = f"restored {str(result.get('id'))[:8]} to: {result.get('memory')} (was: {result.get('replaced')})"
    emit(as_json, result, lambda: text)
