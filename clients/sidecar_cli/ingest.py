"""``memctl ingest`` and ``memctl watch status``: feed transcripts to the daemon, see what it watches."""

from __future__ import annotations

import os
import time
from typing import Any

import click

from sidecar_cli.common import client, emit, handle_errors, json_option

AGENTS = ("claude-code", "codex", "gemini", "aider", "generic")
POLL_S = 0.5


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--agent", type=click.Choice(AGENTS), default=None, help="Which agent wrote the files (default: detect).")
@click.option("--wait", is_flag=True, help="Wait until the queued utterances are judged and applied.")
@click.option("--timeout", "timeout_s", type=float, default=600.0, show_default=True, help="Longest wait, in seconds.")
@click.option("--user", "user_id", default=None, help="Whose facts the files hold (default: the daemon's user).")
@json_option
@handle_errors
def ingest(paths: tuple[str, ...], agent: str | None, wait: bool, timeout_s: float, user_id: str | None,
           as_json: bool) -> None:
    """Read transcript files now (from where the daemon stopped) and queue what they say."""
    files = [os.path.abspath(p) for p in paths]
    totals: dict[str, Any] = {}
    job_ids: set[int] = set()
    with client() as api:
        show = not as_json
        with click.progressbar(files, label="reading", show_pos=True, hidden=not show) as bar:
            for path in bar:
                result = api.ingest([path], agent=agent, user_id=user_id)
                job_ids.update(result["job_ids"])
                for key in ("files", "records", "candidates", "queued", "duplicates", "corrupt"):
                    totals[key] = totals.get(key, 0) + result[key]
        progress = api.ingest_progress(sorted(job_ids))
        if wait and progress["pending"]:
            progress = _wait(api, sorted(job_ids), progress, timeout_s, show)
    totals.update(progress)
    emit(as_json, totals, lambda: _summary(totals))


def _wait(api: Any, job_ids: list[int], first: dict[str, Any], timeout_s: float, show: bool) -> dict[str, Any]:
    """Poll the jobs this command queued (finished ones stay counted) until none is pending."""
    deadline = time.monotonic() + timeout_s
    result = first
    with click.progressbar(length=len(job_ids), label="judging", show_pos=True, hidden=not show) as bar:
        done = result["processed"]
        bar.update(done)
        while result["pending"] and time.monotonic() < deadline:
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
            result = api.ingest_progress(job_ids)
            bar.update(result["processed"] - done)
            done = result["processed"]
    return result


def _summary(totals: dict[str, Any]) -> str:
    lines = [f"{totals.get('files', 0)} files, {totals.get('records', 0)} records, "
             f"{totals.get('candidates', 0)} candidates, {totals.get('queued', 0)} queued "
             f"({totals.get('duplicates', 0)} duplicates, {totals.get('corrupt', 0)} corrupt lines)"]
    if "added" in totals:
        lines.append(f"applied: {totals['added']} added, {totals['updated']} updated, {totals['deleted']} deleted, "
                     f"{totals['none']} unchanged; {totals.get('pending', 0)} still pending, "
                     f"{totals.get('failed', 0)} failed")
    return "\n".join(lines)


@click.group()
def watch() -> None:
    """The transcript watcher."""


@watch.command("status")
@json_option
@handle_errors
def watch_status(as_json: bool) -> None:
    """Watched folders and files (offsets, counts), the job queue and the judge."""
    with client() as api:
        status = api.call("watch.status")
    emit(as_json, status, lambda: _status_text(status))


def _status_text(status: dict[str, Any]) -> str:
    lines = ["sources:" if status["sources"] else "sources: none found"]
    lines += [f"  {s['agent']:<12} {s['root']}" for s in status["sources"]]
    lines.append(f"files: {len(status['files'])}")
    for f in status["files"]:
        lines.append(f"  {f['agent']:<12} {f['offset']:>10}/{f['size']:<10} records={f['records']} "
                     f"candidates={f['candidates']} corrupt={f['corrupt']}  {f['path']}")
    q = status["queue"]
    lines.append(f"queue: pending={q['pending']} (retrying {q['retrying']}) done={q['done']} failed={q['failed']}")
    j = status["judge"]
    model = f" model={j['model']}" if j.get("model") else ""
    lines.append(f"judge: {j['backend']}{model} p50={j.get('p50_ms')}ms p95={j.get('p95_ms')}ms "
                 f"failures={j.get('failures', 0)}")
    return "\n".join(lines)
