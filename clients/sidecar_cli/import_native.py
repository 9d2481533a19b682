"""``memctl import-native``: bring the agents' own memories (Claude Code's CLAUDE.md and auto
memory, Codex's ``~/.codex/memories``) into the store, through the write gate.

It reads them, shows what it found, and (after a confirmation, or with ``--yes``) sends
each file's statements to ``add(infer=True)``, so the gate keeps only durable facts and
the reconciler skips what is already known: running it twice adds nothing new. The
agents' files are never modified, moved or disabled; both memories keep working side by
side (docs/integrations.md, "Agents' own memories").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from sidecar_cli.common import client, emit, handle_errors, json_option
from sidecar_cli.native_sources import NativeFile, discover
from sidecar_shared.user import default_user_id

AGENTS = ("claude-code", "codex")
BATCH = 20  # statements per add call: one gate pass each, well inside the call's timeout
IMPORT_TIMEOUT_S = 600.0


def _found(files: list[NativeFile]) -> dict[str, Any]:
    return {"files": [{"agent": f.agent, "kind": f.kind, "path": str(f.path), "statements": f.statements,
                       **({"problem": f.problem} if f.problem else {})} for f in files],
            "statements": sum(len(f.statements) for f in files)}


def _show(files: list[NativeFile], limit: int) -> str:
    if not files:
        return "No native memory files found (CLAUDE.md, ~/.claude/projects/*/memory, ~/.codex/memories)."
    out: list[str] = []
    for native in files:
        out.append(f"{native.agent} {native.kind}: {native.path} ({len(native.statements)} statements)")
        if native.problem:
            out.append(f"  ! {native.problem}")
        shown = native.statements if limit <= 0 else native.statements[:limit]
        out += [f"  - {text}" for text in shown]
        if len(shown) < len(native.statements):
            out.append(f"  … {len(native.statements) - len(shown)} more (--show-all)")
    return "\n".join(out)


def import_files(files: list[NativeFile], user_id: str) -> dict[str, Any]:
    """Send each file's statements through the write gate; what was kept, per file."""
    memory = client()
    report: list[dict[str, Any]] = []
    for native in files:
        kept: list[str] = []
        for start in range(0, len(native.statements), BATCH):
            batch = native.statements[start:start + BATCH]
            result = memory.call("add", {
                "messages": [{"role": "user", "content": text} for text in batch], "user_id": user_id,
                "agent_id": None, "infer": True,
                "metadata": {"native": native.agent, "native_kind": native.kind, "native_file": str(native.path)},
            }, timeout=IMPORT_TIMEOUT_S)
            kept += [str(r.get("memory")) for r in result.get("results", []) if r.get("event") in ("ADD", "UPDATE")]
        report.append({"path": str(native.path), "agent": native.agent, "statements": len(native.statements),
                       "kept": kept})
    return {"user_id": user_id, "files": report, "kept": sum(len(r["kept"]) for r in report)}


def _imported(report: dict[str, Any]) -> str:
    lines = [f"{r['path']}: {len(r['kept'])} of {r['statements']} kept" for r in report["files"]]
    lines += [f"  + {text}" for r in report["files"] for text in r["kept"]]
    lines.append(f"{report['kept']} memories added or updated for {report['user_id']}; "
                 "the agents' own files were not changed.")
    return "\n".join(lines)


@click.command("import-native")
@click.option("--agent", "agents", type=click.Choice(AGENTS), multiple=True,
              help="Whose memories (repeatable; default: both).")
@click.option("--project", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Also read this project's CLAUDE.md files, and only its Claude auto memory.")
@click.option("--user", "user_id", default=None, help="Import into this user's memories (default: you).")
@click.option("--dry-run", is_flag=True, help="Only show what would be sent to the write gate.")
@click.option("--yes", "-y", is_flag=True, help="Import without asking.")
@click.option("--show-all", is_flag=True, help="List every statement, not the first 10 of each file.")
@json_option
@handle_errors
def import_native(agents: tuple[str, ...], project: Path | None, user_id: str | None, dry_run: bool, yes: bool,
                  show_all: bool, as_json: bool) -> None:
    """Import Claude Code's and Codex's own memories through the write gate (read-only on their files).

    Reads ~/.claude/CLAUDE.md, the project's CLAUDE.md / .claude/CLAUDE.md / CLAUDE.local.md (with
    --project), Claude's auto memory (~/.claude/projects/*/memory/*.md) and ~/.codex/memories/; shows
    the statements found; then sends them to the write gate, which keeps only durable facts and skips
    what is already stored. The agents' files and settings are never changed or switched off.
    """
    files = discover(os.environ, project, agents or AGENTS)
    user = user_id or default_user_id()
    if dry_run or not any(f.statements for f in files):
        emit(as_json, {**_found(files), "imported": False}, lambda: _show(files, 0 if show_all else 10))
        return
    if not as_json:
        click.echo(_show(files, 0 if show_all else 10))
        if not yes:
            count = sum(len(f.statements) for f in files)
            click.confirm(f"Send these {count} statements to the write gate for {user}?", abort=True)
    elif not yes:
        raise click.UsageError("--json needs --yes or --dry-run (there is no prompt to answer)")
    report = import_files([f for f in files if f.statements], user)
    emit(as_json, {**report, "imported": True}, lambda: _imported(report))
