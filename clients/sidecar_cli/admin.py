"""``memctl status | doctor | export | import``: operating the daemon from the shell.

Loaded on first use through ``cli.LAZY_COMMANDS``. Imports nothing of the daemon side.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sidecar_shared import exitcodes

from sidecar_cli import render
from sidecar_client.client import Client
from sidecar_cli.doctor import healthy, render_checks, run_doctor
from sidecar_shared.errors import SidecarError
from sidecar_shared.protocol import scope_ids
from sidecar_cli.status_view import overview, render_overview
from sidecar_cli.transfer import import_file, iter_export, jsonl_line, render_markdown

BULK_TIMEOUT_S = 120.0
_json = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")


def _handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """memctl's usual error handling (one line on stderr, distinct exit codes)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sidecar_cli.common import handle_errors

        return handle_errors(func)(*args, **kwargs)

    return wrapper


def _client(minimum_timeout: float = 0.0) -> Client:
    timeout = float(os.environ.get("SIDECAR_TIMEOUT", "10"))
    return Client(timeout=max(timeout, minimum_timeout))


@click.command()
@_json
@click.option("--watch", "interval", type=click.FloatRange(min=0.2), is_flag=False, flag_value=2.0, default=None,
              metavar="[SECONDS]", help="Refresh every SECONDS (default 2) until Ctrl-C.")
@_handled
def status(as_json: bool, interval: float | None) -> None:
    """Show the daemon's health: memories per user/agent, store size, queues, latencies, RSS."""
    client = _client()
    if interval is None:
        raw = client.status()
        view = overview(raw)
        click.echo(render.to_json({**view, "raw": raw}) if as_json else render_overview(view))
        return
    try:
        while True:
            try:
                raw = client.status()
                view = overview(raw)
                text = json.dumps({**view, "raw": raw}, default=str) if as_json else render_overview(view)
            except SidecarError as exc:  # keep watching: the daemon may be restarting
                client.close()
                text = json.dumps({"error": str(exc)}) if as_json else f"memctl: {exc}"
            if not as_json:
                click.clear()
                text += f"\n\n(refreshing every {interval:g}s; Ctrl-C to stop)"
            click.echo(text)
            time.sleep(interval)
    except KeyboardInterrupt:
        pass


@click.command()
@_json
def doctor(as_json: bool) -> None:
    """Check the daemon and its surroundings; print a fix for each problem.

    Exits 1 when a check fails (warnings alone exit 0).
    """
    checks = run_doctor()
    ok = healthy(checks)
    if as_json:
        click.echo(render.to_json({"ok": ok, "checks": [check.as_dict() for check in checks]}))
    else:
        click.echo(render_checks(checks))
    sys.exit(exitcodes.OK if ok else exitcodes.ERROR)


@click.command()
@click.option("--user", "user_id", default=None, help="Only this user's memories (default: every scope).")
@click.option("--agent", "agent_id", default=None, help="Only this agent's memories.")
@click.option("--run", "run_id", default=None, help="Only this run's memories.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "markdown"]), default="jsonl", show_default=True,
              help="jsonl: one memory per line with scope, metadata, timestamps, history (importable). "
                   "markdown: a MEMORY.md-style file grouped by user and agent.")
@_handled
def export(user_id: str | None, agent_id: str | None, run_id: str | None, fmt: str) -> None:
    """Write memories to standard output: memctl export > memories.jsonl"""
    filters = scope_ids(user_id, agent_id, run_id)
    records = iter_export(_client(BULK_TIMEOUT_S), filters or None)
    count = 0
    if fmt == "markdown":
        collected = list(records)
        count = len(collected)
        click.echo(render_markdown(collected), nl=False)
    else:
        for record in records:
            click.echo(jsonl_line(record))
            count += 1
    click.echo(f"exported {count} memories", err=True)


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_json
@_handled
def import_(file: Path, as_json: bool) -> None:
    """Add the memories of a JSON Lines export FILE to this store.

    Each text is embedded again with this store's embedder; exact duplicates
    within a scope are skipped. Bad lines are reported by number; the rest is
    imported, and the exit code is 1 if any line failed.
    """
    client = _client(BULK_TIMEOUT_S)
    if as_json:
        report = import_file(client, file)
    else:
        with click.progressbar(length=file.stat().st_size, label="importing", file=sys.stderr) as bar:
            done = 0

            def advance(offset: int) -> None:
                nonlocal done
                bar.update(offset - done)
                done = offset

            report = import_file(client, file, advance)
    summary = report.as_dict()
    if as_json:
        click.echo(render.to_json(summary))
    else:
        click.echo(f"{report.added} added, {report.skipped} skipped (already there), "
                   f"{len(report.errors)} failed, from {report.lines} lines")
        for error in report.errors:
            click.echo(f"line {error['line']}: {error['message']}", err=True)
    sys.exit(exitcodes.ERROR if report.errors else exitcodes.OK)
