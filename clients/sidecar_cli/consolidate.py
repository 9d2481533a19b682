"""``memctl consolidate``: merge restatements and drop stale values inside one scope.

The daemon plans and applies (op ``consolidate``); ``--dry-run`` prints the plan
and changes nothing. Each deleted memory keeps its text in ``memctl history ID``.
Loaded on first use through ``cli.LAZY_COMMANDS``.
"""

from __future__ import annotations

from typing import Any

import click

from sidecar_cli.common import client, emit, handle_errors, json_option, scope_of, scope_options

TIMEOUT_S = 600.0  # a large scope is embedded and compared in one request


def plan_text(result: dict[str, Any]) -> str:
    """The plan (or what was done) as readable lines: each group's survivor, then what goes and why."""
    dry = result.get("dry_run")
    groups = result.get("groups") or []
    lines = []
    for number, group in enumerate(groups, 1):
        survivor = group["survivor"]
        lines.append(f"group {number}: keep {survivor['id'][:8]}  {survivor['memory']}")
        for row in group["delete"]:
            lines.append(f"  {'would delete' if dry else 'deleted':<12} {row['id'][:8]}  {row['memory']}")
            lines.append(f"  {'':<12} {'':8}  because: {row['reason']}")
    planned = result.get("planned", 0)
    scope = ", ".join(f"{k}={v}" for k, v in (result.get("scope") or {}).items())
    summary = (f"{scope}: {result.get('memories', 0)} memories, {len(groups)} groups, "
               + (f"{planned} would be deleted (dry run: nothing changed)" if dry
                  else f"{result.get('deleted', 0)} deleted" + (f", {result['skipped']} skipped (changed meanwhile)"
                                                               if result.get("skipped") else "")))
    if result.get("truncated"):
        summary += "; only the first memories of this large scope were compared"
    if not dry and result.get("deleted"):
        summary += "\n(each deleted memory's text stays in `memctl history ID`)"
    return "\n".join([*lines, summary]) if lines else f"{summary}\n(nothing to consolidate)"


@click.command()
@scope_options
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@json_option
@handle_errors
def consolidate(user_id: str | None, agent_id: str | None, run_id: str | None, dry_run: bool, as_json: bool) -> None:
    """Merge repeated memories and drop stale values inside one scope (never across scopes or users)."""
    args = {**scope_of(user_id, agent_id, run_id), "dry_run": dry_run}
    result = client().call("consolidate", args, timeout=TIMEOUT_S, retry=False)
    emit(as_json, result, lambda: plan_text(result))
