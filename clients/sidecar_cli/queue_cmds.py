"""``memctl queue list|retry|drop``: the transcript jobs the write gate gave up on (the dead letter).

A job is dead-lettered after ``[gate] max_attempts`` failed judge or reconciler
calls (a model answering something that is not JSON, an error). It keeps its
text and last error until you retry it (after fixing the model or the config) or
drop it (its text is erased; the utterance is never queued again).
"""

from __future__ import annotations

import time
from typing import Any

import click

from sidecar_cli import render
from sidecar_cli.common import client, emit, handle_errors, json_option


@click.group()
def queue() -> None:
    """Jobs the write gate gave up on: list, retry or drop them."""


@queue.command("list")
@click.option("--all", "everything", is_flag=True, help="Also list the jobs still waiting or running.")
@click.option("-n", "--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@handle_errors
def list_jobs(everything: bool, limit: int, as_json: bool) -> None:
    """List dead-lettered jobs (id, source, attempts, last error)."""
    with client() as api:
        result = api.call("queue.list", {"which": "open" if everything else "failed", "limit": limit})
    emit(as_json, result, lambda: _jobs_text(result, everything))


def _jobs_text(result: dict[str, Any], everything: bool) -> str:
    jobs = result["jobs"]
    if not jobs:
        return "no jobs waiting" if everything else "the dead letter is empty: no job was given up on"
    rows = [[job["id"], job["state"], f"{job['source']}:{job['line']}", job["failures"], _age(job["updated_at"]),
             job.get("error") or "", job.get("preview") or ""] for job in jobs]
    headers = ["id", "state", "source", "failed", "when", "last error", "text"]
    text = render.table(rows, headers, [0, 0, 50, 0, 0, 60, 40])
    return text + f"\n\n{result['dead_letter']} dead-lettered; memctl queue retry --all | memctl queue drop --all"


def _age(at: Any) -> str:
    if not isinstance(at, (int, float)):
        return "?"
    seconds = max(0, int(time.time() - at))
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _targets(job_ids: tuple[int, ...], everything: bool) -> dict[str, Any]:
    if everything == bool(job_ids):
        raise click.UsageError("give job ids (see memctl queue list) or --all")
    return {"all": True} if everything else {"job_ids": sorted(set(job_ids))}


@queue.command()
@click.argument("job_ids", nargs=-1, type=click.IntRange(1))
@click.option("--all", "everything", is_flag=True, help="Every dead-lettered job.")
@json_option
@handle_errors
def retry(job_ids: tuple[int, ...], everything: bool, as_json: bool) -> None:
    """Queue dead-lettered jobs again, with fresh attempts (after fixing the judge)."""
    targets = _targets(job_ids, everything)
    with client() as api:
        result = api.call("queue.retry", targets)
    emit(as_json, result, lambda: f"{result['retried']} job(s) queued again; "
                                  f"{result['dead_letter']} left in the dead letter")


@queue.command()
@click.argument("job_ids", nargs=-1, type=click.IntRange(1))
@click.option("--all", "everything", is_flag=True, help="Every dead-lettered job.")
@json_option
@handle_errors
def drop(job_ids: tuple[int, ...], everything: bool, as_json: bool) -> None:
    """Drop dead-lettered jobs: their text is erased and they are never judged."""
    targets = _targets(job_ids, everything)
    with client() as api:
        result = api.call("queue.drop", targets)
    emit(as_json, result, lambda: f"{result['dropped']} job(s) dropped; "
                                  f"{result['dead_letter']} left in the dead letter")
