"""``memctl`` commands for agent integrations: hooks, the hook itself, MCP, AGENTS.md and the showcase.

Loaded on first use through ``cli.LAZY_COMMANDS``. Heavy or optional imports (mcp,
the examples) happen inside the commands, so ``memctl`` stays quick to start.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sidecar_integrations.hooks import AGENTS

AGENT_CHOICE = click.Choice(AGENTS)


def _project_option(func):  # type: ignore[no-untyped-def]
    return click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Install into DIR's project settings instead of the user's.")(func)


@click.group()
def hooks() -> None:
    """Install or remove the memory hooks of Claude Code or Codex."""


@hooks.command(name="install")
@click.argument("agent", type=AGENT_CHOICE)
@_project_option
@click.option("--dry-run", is_flag=True, help="Print the resulting file instead of writing it.")
def hooks_install(agent: str, project: Path | None, dry_run: bool) -> None:
    """Merge our hook entries into AGENT's settings (other hooks are kept; safe to repeat)."""
    _install_or_uninstall(agent, project, dry_run, install=True)


@hooks.command(name="uninstall")
@click.argument("agent", type=AGENT_CHOICE)
@_project_option
@click.option("--dry-run", is_flag=True, help="Print the resulting file instead of writing it.")
def hooks_uninstall(agent: str, project: Path | None, dry_run: bool) -> None:
    """Remove exactly our hook entries from AGENT's settings."""
    _install_or_uninstall(agent, project, dry_run, install=False)


def _install_or_uninstall(agent: str, project: Path | None, dry_run: bool, *, install: bool) -> None:
    from sidecar_integrations.hooks import install as installer

    try:
        result = (installer.install if install else installer.uninstall)(agent, project, dry_run=dry_run)
    except (installer.InstallError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo(f"# {result.path} ({'would change' if result.changed else 'unchanged'})")
        click.echo(result.text, nl=False)
        return
    verb = "installed into" if install else "removed from"
    click.echo(f"{agent} hooks {verb} {result.path}" if result.changed else f"{result.path} already up to date")
    if install and agent == "codex" and result.changed:
        click.echo("Codex runs hooks by default; older releases need `[features] codex_hooks = true` in config.toml.")


@click.command(name="hook", context_settings={"ignore_unknown_options": True})
@click.argument("agent", type=AGENT_CHOICE)
@click.argument("event")
def hook(agent: str, event: str) -> None:
    """Run the AGENT hook for EVENT (reads the hook JSON on stdin). Installed hooks call the faster
    ``python -I -m sidecar_integrations.hooks`` directly."""
    from sidecar_integrations.hooks.__main__ import main as hook_main

    sys.exit(hook_main([agent, event]))


@click.command(name="mcp")
@click.option("--agent", default="mcp", show_default=True, help="Agent name stored with new memories.")
@click.option("--user", "user_id", default=None, help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")
def mcp(agent: str, user_id: str | None) -> None:
    """Serve the memory as MCP tools over stdio (for Claude Code, Codex, Cursor...)."""
    try:
        from sidecar_integrations.mcp_server import run
    except ImportError as exc:
        raise click.ClickException(f"the MCP server needs the 'mcp' package (pip install mcp): {exc}") from None
    run(user_id, agent)


@click.group(name="agents-md")
def agents_md() -> None:
    """Keep a managed section of project facts in AGENTS.md (for agents without hooks).

    AGENTS.md is usually committed to git: only memories scoped to the project are written there,
    never personal ones, and only after you opt in once per project with `sync --opt-in`.
    """


FETCH_LIMIT = 10_000  # memories read to pick the project's facts from


@agents_md.command(name="sync")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding AGENTS.md (the project root).")
@click.option("--user", "user_id", default=None, help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many project memories are listed.")
@click.option("--opt-in", is_flag=True,
              help="Allow this project's AGENTS.md to list your project-scoped memories (recorded in the file; "
                   "later syncs need no flag). Personal memories are never written.")
@click.option("--dry-run", is_flag=True, help="Report whether the file would change; do not write.")
def agents_md_sync(project: Path, user_id: str | None, limit: int, opt_in: bool, dry_run: bool) -> None:
    """Write the memories scoped to PROJECT between the managed markers of PROJECT/AGENTS.md."""
    from sidecar_cli.common import client
    from sidecar_shared.errors import SidecarError
    from sidecar_shared.user import default_user_id
    from sidecar_integrations.hooks.agents_md import AGENTS_FILE, NotOptedIn, opted_in, not_opted_in_message, \
        sync_file

    path = project / AGENTS_FILE
    try:
        existing = path.read_bytes().decode("utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    if not (opt_in or opted_in(existing)):  # before asking the daemon: no memory is read without consent
        raise click.ClickException(not_opted_in_message(path, existing))
    user = user_id or default_user_id()
    try:
        memories = client().get_all(filters={"user_id": user}, top_k=FETCH_LIMIT).get("results", [])
    except SidecarError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        result = sync_file(path, memories, project=project.resolve(), opt_in=opt_in, dry_run=dry_run,
                           limit=limit)
    except NotOptedIn as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc}") from None
    state = ("would change" if dry_run else "updated") if result.changed else "already up to date"
    click.echo(f"{path}: {state} ({result.listed} project memories listed; {result.left_out} memories of {user} "
               "left out: personal, of other projects, or over --limit)")


@agents_md.command(name="remove")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding AGENTS.md.")
@click.option("--dry-run", is_flag=True, help="Report whether the file would change; do not write.")
def agents_md_remove(project: Path, dry_run: bool) -> None:
    """Delete the managed memory section (and the opt-in) from PROJECT/AGENTS.md."""
    from sidecar_integrations.hooks.agents_md import AGENTS_FILE, remove_section

    path = project / AGENTS_FILE
    try:
        removed = remove_section(path, dry_run=dry_run)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot rewrite {path}: {exc}") from None
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{path}: {verb} the memory section" if removed else f"{path}: no memory section")


@click.command(name="showcase")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("showcase-out"),
              show_default=True, help="Where run-log.json and showcase.html go.")
@click.option("--use-running", is_flag=True, help="Use the daemon of the current SIDECAR_HOME instead of a private one.")
@click.option("--ollama/--no-ollama", "ollama_choice", default=None, help="Require / forbid Ollama (default: detect).")
@click.option("--ollama-url", default=None, help="Default: $OLLAMA_HOST or http://127.0.0.1:11434.")
@click.option("--chat-model", default=None, help="Ollama model (default: picked by free RAM).")
@click.option("--keep", is_flag=True, help="Keep the private daemon's store under /tmp (removed by default).")
def showcase(out: Path, use_running: bool, ollama_choice: bool | None, ollama_url: str | None,
             chat_model: str | None, keep: bool) -> None:
    """Three processes, two users: memory that persists and stays with its owner; writes an HTML report."""
    from sidecar_examples.showcase import run

    sys.exit(run(out, use_running=use_running, ollama_choice=ollama_choice, ollama_url=ollama_url,
                 chat_model=chat_model, keep=keep))
