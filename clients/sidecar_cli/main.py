"""``memctl``: the command line of the memory sidecar.

Every command has ``--json`` for machines and a readable table otherwise.
Errors from the client library become one-line messages and non-zero exits here,
and only here.
"""

from __future__ import annotations

import os
import sys

import click

from sidecar_cli import render
from sidecar_cli.common import client, emit, handle_errors, json_option, scope_of, scope_options
from sidecar_shared.errors import NotFound
from sidecar_shared.protocol import scope_ids


# Commands that live in other modules, imported only when run (or listed by --help),
# so `memctl search` does not pay for the service, doctor, MCP or hook code.
LAZY_COMMANDS = {
    "service": "sidecar_cli.service:service",
    "status": "sidecar_cli.admin:status",
    "doctor": "sidecar_cli.admin:doctor",
    "export": "sidecar_cli.admin:export",
    "import": "sidecar_cli.admin:import_",
    "context": "sidecar_cli.context:context_command",
    "session": "sidecar_cli.context:session_group",
    "demo": "sidecar_cli.demo:demo_group",
    "hooks": "sidecar_cli.integrations:hooks",
    "hook": "sidecar_cli.integrations:hook",
    "mcp": "sidecar_cli.integrations:mcp",
    "agents-md": "sidecar_cli.integrations:agents_md",
    "showcase": "sidecar_cli.integrations:showcase",
    "ingest": "sidecar_cli.ingest:ingest",
    "watch": "sidecar_cli.ingest:watch",
    "queue": "sidecar_cli.queue_cmds:queue",
    "review": "sidecar_cli.review:review",
    "scrub-secrets": "sidecar_cli.scrub:scrub_secrets",
}


class LazyGroup(click.Group):
    """A click group whose listed subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module_name, attribute = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agent-memory-sidecar")
def cli() -> None:
    """Local long-term memory for AI agents: talk to the memory daemon."""


@cli.command()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
def serve(log_level: str | None) -> None:
    """Run the memory daemon in the foreground (Ctrl-C stops it)."""
    argv = [sys.executable, "-m", "sidecar", "serve"] + (["--log-level", log_level] if log_level else [])
    os.execv(sys.executable, argv)  # same PID: systemd's Type=notify sees the daemon itself


@cli.command()
@click.argument("text")
@scope_options
@click.option("--metadata", "metadata_json", default=None, help="JSON object stored with the memory.")
@click.option("--infer/--no-infer", default=False, show_default=True,
              help="Judge and reconcile the text instead of storing it verbatim.")
@json_option
@handle_errors
def add(text: str, user_id: str | None, agent_id: str | None, run_id: str | None,
        metadata_json: str | None, infer: bool, as_json: bool) -> None:
    """Store TEXT as a memory."""
    import json

    metadata = json.loads(metadata_json) if metadata_json else None
    if metadata is not None and not isinstance(metadata, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--metadata")
    result = client().add(text, metadata=metadata, infer=infer, **scope_of(user_id, agent_id, run_id))
    rows = result.get("results", [])
    emit(as_json, result, lambda: "\n".join(f"{r.get('event', '?'):<6} {str(r.get('id'))[:8]}  {r.get('memory', '')}"
                                              for r in rows) or "(nothing stored)")


project_option = click.option("--project", default=None, metavar="NAME",
                              help="Only facts learned in this project (the transcript's working folder name).")


def with_project(filters: dict, project: str | None) -> dict:
    return {**filters, "project": project} if project else filters


@cli.command()
@click.argument("query")
@scope_options
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 1000))
@click.option("--threshold", default=None, type=click.FloatRange(0, 1), help="Minimum score.")
@project_option
@json_option
@handle_errors
def search(query: str, user_id: str | None, agent_id: str | None, run_id: str | None,
           top_k: int, threshold: float | None, project: str | None, as_json: bool) -> None:
    """Search memories for QUERY."""
    filters = with_project(scope_of(user_id, agent_id, run_id), project)
    result = client().search(query, filters=filters, top_k=top_k, threshold=threshold)
    emit(as_json, result, lambda: render.memory_rows(result.get("results", []), with_score=True))


@cli.command()
@click.argument("memory_id")
@json_option
@handle_errors
def get(memory_id: str, as_json: bool) -> None:
    """Show one memory."""
    memory = client().get(memory_id)
    if memory is None:
        raise NotFound("not_found", f"no memory with id {memory_id}")
    emit(as_json, memory, lambda: render.key_values(memory))


@cli.command(name="list")
@scope_options
@click.option("-n", "--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@project_option
@json_option
@handle_errors
def list_(user_id: str | None, agent_id: str | None, run_id: str | None, limit: int, project: str | None,
          as_json: bool) -> None:
    """List memories of a scope."""
    result = client().get_all(filters=with_project(scope_of(user_id, agent_id, run_id), project), top_k=limit)
    emit(as_json, result, lambda: render.memory_rows(result.get("results", [])))


@cli.command()
@click.argument("memory_id")
@click.argument("text")
@json_option
@handle_errors
def update(memory_id: str, text: str, as_json: bool) -> None:
    """Replace the text of a memory (history keeps the old text)."""
    result = client().update(memory_id, text=text)
    emit(as_json, result, lambda: result.get("message", "updated"))


@cli.command()
@click.argument("memory_id", required=False)
@scope_options
@click.option("--all", "everything", is_flag=True, help="Delete every memory of the given scope.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@json_option
@handle_errors
def forget(memory_id: str | None, user_id: str | None, agent_id: str | None, run_id: str | None,
           everything: bool, yes: bool, as_json: bool) -> None:
    """Delete one memory by id, or --all memories of a scope."""
    if everything == bool(memory_id):
        raise click.UsageError("give either a MEMORY_ID or --all with a scope")
    if everything:
        scope = scope_ids(user_id, agent_id, run_id)
        if not scope:
            raise click.UsageError("--all needs --user, --agent or --run")
        if not yes and not as_json:
            click.confirm(f"Delete every memory of {scope}?", abort=True)
        result = client().delete_all(**scope)
    else:
        result = client().delete(memory_id)
    emit(as_json, result, lambda: result.get("message", "deleted"))


@cli.command()
@click.argument("memory_id")
@json_option
@handle_errors
def history(memory_id: str, as_json: bool) -> None:
    """Show how a memory was created and changed."""
    rows = client().history(memory_id)
    emit(as_json, rows, lambda: render.table(
        [[r.get("event"), (r.get("updated_at") or r.get("created_at") or "")[:19], r.get("old_memory"),
          r.get("new_memory")] for r in rows], ["event", "when", "old", "new"], [0, 0, 50, 50])
         if rows else "(no history)")


def main() -> None:
    cli(prog_name="memctl")


if __name__ == "__main__":
    main()
