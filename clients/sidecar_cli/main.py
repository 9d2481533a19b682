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
from sidecar_cli.common import client, emit, handle_errors, json_object, json_option, scope_of, scope_options
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
    "import-native": "sidecar_cli.import_native:import_native",
    "history": "sidecar_cli.history_cmds:history",
    "restore": "sidecar_cli.history_cmds:restore",
    "consolidate": "sidecar_cli.consolidate:consolidate",
    "migrate": "sidecar_cli.migrate:migrate",
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
    """Local long-term memory for AI agents: talk to the memory daemon.

    Memory ids: give the full id or any unique prefix of 6+ characters (the 8 that
    list, add and search print work). Shell completion: see "Shell completion" in README.md
    (eval "$(_MEMCTL_COMPLETE=bash_source memctl)" for bash; zsh_source / fish_source).
    """


@cli.command()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
def serve(log_level: str | None) -> None:
    """Run the memory daemon in the foreground (Ctrl-C stops it).

    Loading the store and the embedder takes ~20 s on an idle machine, minutes on
    a busy one; the daemon logs when loading starts and when it is ready.
    """
    click.echo("memctl: starting the memory daemon; loading the store and the embedder "
               "(about 20 s, longer on a busy machine)...", err=True)
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
    metadata = json_object(metadata_json, "--metadata")
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
@click.option("--threshold", default=None, type=click.FloatRange(0, 1),
              help="Minimum dense closeness (the 'dense' column); keyword-only hits are left out.")
@project_option
@json_option
@handle_errors
def search(query: str, user_id: str | None, agent_id: str | None, run_id: str | None,
           top_k: int, threshold: float | None, project: str | None, as_json: bool) -> None:
    """Search memories for QUERY, best first.

    \b
    Columns:
      fused    the hybrid ranking score: dense and keyword scores, each scaled
               within THIS result list, then summed. It orders the rows; it is
               not a similarity and is not comparable across searches.
      dense    embedding closeness, 1/(1 + squared distance): 1.0 is the same
               meaning, about 0.33 unrelated ("-": found by keywords only).
      keyword  BM25 score of the words QUERY shares with the memory ("-": none).
    """
    filters = with_project(scope_of(user_id, agent_id, run_id), project)
    result = client().search(query, filters=filters, top_k=top_k)
    if threshold is not None:
        result = {**result, "results": [r for r in result.get("results", []) if render.dense_of(r) is not None
                                        and render.dense_of(r) >= threshold]}
    emit(as_json, result, lambda: render.memory_rows(result.get("results", []), with_score=True))


@cli.command()
@click.argument("memory_id")
@json_option
@handle_errors
def get(memory_id: str, as_json: bool) -> None:
    """Show one memory (MEMORY_ID: the full id or a unique prefix of 6+ characters)."""
    memory = client().get(memory_id)
    if memory is None:
        raise NotFound("not_found", f"no memory with id {memory_id}")
    emit(as_json, memory, lambda: render.key_values({k: v for k, v in memory.items() if v is not None}))


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
    rows = result.get("results", [])

    def text() -> str:
        shown = render.memory_rows(rows)
        if len(rows) >= limit:
            shown += f"\n(showing the first {limit}; there may be more: memctl list -n {limit * 10})"
        return shown

    emit(as_json, result, text)


@cli.command()
@click.argument("memory_id")
@click.argument("text")
@json_option
@handle_errors
def update(memory_id: str, text: str, as_json: bool) -> None:
    """Replace the text of a memory (history keeps the old text; memctl restore undoes it)."""
    result = client().update(memory_id, text=text)
    emit(as_json, result, lambda: f"updated {str(result.get('id', memory_id))[:8]}: {text}")


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
            named = ", ".join(f"{key.removesuffix('_id')} {value}" for key, value in scope.items())
            click.confirm(f"Delete every memory of {named}?", abort=True)
        result = client().delete_all(**scope)
        emit(as_json, result, lambda: f"deleted {result.get('deleted', '?')} memories")
    else:
        result = client().delete(memory_id)
        emit(as_json, result, lambda: f"deleted {str(result.get('id', memory_id))[:8]} "
                                      "(memctl restore can bring it back)")


def main() -> None:
    cli(prog_name="memctl")


if __name__ == "__main__":
    main()
