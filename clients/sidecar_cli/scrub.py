"""``memctl scrub-secrets`` and the doctor's secrets check: secrets stored by earlier versions.

The daemon does the work (``secrets.scan`` / ``secrets.scrub``); reports name
where a secret is and its kind, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from sidecar_cli.common import client, emit, handle_errors, json_option
from sidecar_cli.doctor_local import Check
from sidecar_client.client import Client
from sidecar_shared.errors import RequestFailed, SidecarError
from sidecar_shared.paths import AppPaths
from sidecar_shared.protocol import Code

SCRUB_TIMEOUT_S = 600.0  # a pass reads every memory and history row once
RESTART_FIX = "memctl service restart    (or stop and start memctl serve)"
_PARTS = (("memories", "memory", "memories"), ("history", "history row", "history rows"),
          ("keyword", "keyword context", "keyword contexts"), ("sessions", "session file", "session files"),
          ("memory_md", "MEMORY.md line", "MEMORY.md lines"))


@click.command("scrub-secrets")
@click.option("--dry-run", is_flag=True, help="Only report where secrets are; change nothing.")
@json_option
@handle_errors
def scrub_secrets(dry_run: bool, as_json: bool) -> None:
    """Find secrets earlier versions stored (memories, their history, sessions, MEMORY.md) and redact them.

    Each value becomes [REDACTED:<kind>]. Restart the daemon afterwards: Chroma's log is cleaned at start.
    """
    report = client().call("secrets.scan" if dry_run else "secrets.scrub", {}, timeout=SCRUB_TIMEOUT_S, retry=False)
    emit(as_json, report, lambda: render_report(report))


def summary(found: Mapping[str, Any]) -> str:
    """"3 memories, 5 history rows" for the non-zero parts of a report's ``found``."""
    parts = [f"{found[key]} {one if found[key] == 1 else many}" for key, one, many in _PARTS if found.get(key)]
    return ", ".join(parts) or "nothing"


def render_report(report: Mapping[str, Any]) -> str:
    """The report as text: what was found where, what is left to do."""
    dry = bool(report.get("dry_run"))
    lines = [f"{'found' if dry else 'scrubbed'}: {summary(report.get('found') or {})}"]
    kinds = report.get("kinds") or {}
    if kinds:
        lines.append("kinds: " + ", ".join(f"{kind} ({count})" for kind, count in kinds.items()))
    for row in report.get("memories") or []:
        owner = ", ".join(f"{key} {row[key]}" for key in ("user_id", "agent_id", "run_id") if row.get(key))
        lines.append(f"  memory {row['id']} ({owner}): {', '.join(row['fields'])} [{', '.join(row['kinds'])}]")
    for item in report.get("sessions") or []:
        lines.append(f"  session {item.get('session_id') or item['path']}: [{', '.join(item['kinds'])}]")
    for item in (report.get("memory_md") or []) if dry else (report.get("remaining") or []):
        where = "managed section" if item.get("managed") else "your own text, outside the managed section"
        lines.append(f"  {item['path']}:{item.get('line')} ({where}): [{', '.join(item['kinds'])}]")
    if not dry and report.get("remaining"):
        lines.append("remove the MEMORY.md lines above by hand: the daemon never edits text outside its section")
    if dry and report.get("total"):
        lines.append("to redact them: memctl scrub-secrets")
    if report.get("restart_needed"):
        lines.append(f"Chroma's log still holds the old texts until the daemon restarts: {RESTART_FIX}")
    return "\n".join(lines)


def check_secrets(paths: AppPaths, status: Mapping[str, Any] | None) -> Check:
    """The doctor's check: secrets stored by an earlier version, or a scrub waiting for a restart."""
    if status is None:
        return Check("secrets", "skip", "needs the running daemon")
    daemon = Client(paths, timeout=SCRUB_TIMEOUT_S, retries=0)
    try:
        report = daemon.call("secrets.scan", {"cached": True}, retry=False)
    except RequestFailed as exc:
        if exc.code == Code.UNKNOWN_OP:
            return Check("secrets", "skip", "this daemon cannot scan for secrets (it is older)")
        return Check("secrets", "warn", f"the scan failed: {exc.message}")
    except SidecarError as exc:
        return Check("secrets", "warn", f"the scan failed: {exc}")
    finally:
        daemon.close()
    if report.get("total"):
        return Check("secrets", "warn", f"stored by an earlier version: {summary(report.get('found') or {})} "
                                        f"({', '.join(report.get('kinds') or {})})",
                     "memctl scrub-secrets --dry-run    (to see where), then: memctl scrub-secrets")
    if report.get("restart_needed"):
        return Check("secrets", "warn", "a scrub is finished except for Chroma's log, which is cleaned at start",
                     RESTART_FIX)
    return Check("secrets", "ok", "no secret found in memories, history, sessions or MEMORY.md")
