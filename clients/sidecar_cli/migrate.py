"""``memctl migrate``: move the store between the embedded backend and PostgreSQL + pgvector.

The work is the daemon package's (``python -m sidecar.store.migrate``, run as a
child process so memctl never imports mem0 or Chroma); this command passes the
options, and renders its one-line JSON report.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click

from sidecar_cli.common import emit, json_option

EXIT_MISMATCH = 1
EXIT_FAILED = 2


@click.command()
@click.option("--to", "to", required=True, type=click.Choice(["pgvector", "embedded"]),
              help="The backend to move the store to (from the other one).")
@click.option("--dsn", default=None, help="PostgreSQL connection (default: [mem0.vector_store] config).")
@click.option("--dry-run", is_flag=True, help="Count what would move; write nothing.")
@json_option
def migrate(to: str, dsn: str | None, dry_run: bool, as_json: bool) -> None:
    """Copy every memory (ids, timestamps, metadata, history) to the other backend, then check the count.

    Stop the daemon first. Afterwards point [mem0.vector_store] at the target.
    """
    command = [sys.executable, "-m", "sidecar.store.migrate", "--to", to]
    command += ["--dsn", dsn] if dsn else []
    command += ["--dry-run"] if dry_run else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    if "error" in report:
        if as_json:
            click.echo(json.dumps(report))
        else:
            click.echo(f"memctl migrate: {report['error']}", err=True)
        sys.exit(EXIT_FAILED)
    emit(as_json, report, lambda: _text(report))
    if not report["ok"]:
        sys.exit(EXIT_MISMATCH)


def _text(report: dict) -> str:
    head = f"{report['source']} -> {report['target']}"
    if report["dry_run"]:
        return (f"{head} (dry run): {report['source_memories']} memories and {report['history_rows']} "
                "history rows would be copied; nothing was written")
    lines = [f"{head}: {report['copied']} copied, {report['already_there']} already there, "
             f"{report['history_rows']} history rows"]
    if report["ok"]:
        lines.append(f"count check: all {report['source_memories']} memories are in the target")
    else:
        lines.append(f"count check FAILED: {report['missing_count']} of {report['source_memories']} memories are "
                     "missing from the target; run it again (copied ones are skipped)")
    return "\n".join(lines)
