"""``memctl status``: the daemon's status reply reduced to what an operator reads.

The reply is ``{**app.status(), **server.metrics()}``: the core keys, one section
per component (``admin`` has counts and store size; ``ingest``, when present,
its job queue by state, watched files and judge latencies) and the server's metrics
(uptime, RSS, request queue, per-op latencies under ``latency``).
"""

from __future__ import annotations

from typing import Any

from sidecar_cli.render import shorten


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    return value if isinstance(value, dict) else {}


def _latency(summary: Any) -> dict[str, Any] | None:
    if not isinstance(summary, dict):
        return None
    count = next((summary[key] for key in ("n", "count", "calls") if key in summary), None)
    return {"p50_ms": summary.get("p50_ms") if count else None,
            "p95_ms": summary.get("p95_ms") if count else None, "count": count}


def ingest_queue(ingest: dict[str, Any]) -> tuple[Any, Any]:
    """(jobs waiting or running, jobs failed for good) from the ingest queue's counts by state."""
    counts = ingest.get("queue")
    if not isinstance(counts, dict):
        return None, None
    return sum(int(counts.get(state) or 0) for state in ("pending", "running")), counts.get("failed")


def overview(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields ``memctl status`` shows (and ``--json`` prints next to the raw reply)."""
    admin, ingest = _section(raw, "admin"), _section(raw, "ingest")
    ops = _section(raw, "latency")
    judge = ingest.get("judge", ops.get("judge"))
    depth, failures = ingest_queue(ingest)
    return {
        "version": raw.get("version"),
        "pid": raw.get("pid"),
        "uptime_s": raw.get("uptime_s"),
        "rss_bytes": raw.get("rss_bytes"),
        "memories": raw.get("memories"),
        "store_path": raw.get("store_path"),
        "store_bytes": admin.get("store_bytes"),
        "embedder": raw.get("embedder"),
        "counts": admin.get("counts"),
        "requests": raw.get("requests"),
        "errors": raw.get("errors"),
        "queue": {"requests_waiting": raw.get("queue_depth"), "requests_running": raw.get("in_flight"),
                  "ingest_depth": depth, "ingest_failures": failures},
        "latency_ms": {"search": _latency(ops.get("search")), "judge": _latency(judge)},
        "row_copies": _section(raw, "search").get("row_copies"),
        "watched_files": ingest.get("watched_files"),
        "review_pending": _section(ingest, "review").get("pending"),
        "telemetry_off": raw.get("telemetry_off"),
        "files": admin.get("files") or {},
    }


def human_bytes(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "?"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"  # pragma: no cover - the loop always returns


def human_duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _counts_line(counts: Any) -> str:
    if not isinstance(counts, dict):
        return "(counting…)"
    if not counts:
        return "(none)"
    return shorten(", ".join(f"{name} {n:,}" for name, n in counts.items()), 100)


def _latency_text(value: dict[str, Any] | None) -> str:
    if not value or value.get("p50_ms") is None:
        return "no data"
    return f"p50 {value['p50_ms']:.1f} ms  p95 {value['p95_ms']:.1f} ms  (n={value.get('count')})"


def _copies_text(copies: Any) -> str:
    """Where a search's rows came from (the embedded store keeps copies of them: store/row_copies.py)."""
    if not isinstance(copies, dict):
        return ""
    if copies.get("state") != "on":
        return f"  row copies {copies.get('state')} (rows read from the store)"
    hits, misses = int(copies.get("hits") or 0), int(copies.get("misses") or 0)
    return f"  rows from copies {hits:,} of {hits + misses:,}"


def _maybe(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def render_overview(view: dict[str, Any]) -> str:
    """A dozen readable lines."""
    counts = view.get("counts") or {"by_user": None, "by_agent": None}
    queue, latency = view["queue"], view["latency_ms"]
    memories = view.get("memories")
    lines = [
        f"memory daemon {view.get('version')}  pid {view.get('pid')}  up {human_duration(view.get('uptime_s'))}"
        f"  rss {human_bytes(view.get('rss_bytes'))}",
        f"store      {view.get('store_path')}  {human_bytes(view.get('store_bytes'))} on disk"
        f"  {_maybe(memories)} memories  ({view.get('embedder')})",
        f"users      {_counts_line(counts.get('by_user'))}",
        f"agents     {_counts_line(counts.get('by_agent'))}",
        f"requests   {_maybe(view.get('requests'))} served, {_maybe(view.get('errors'))} failed;"
        f"  waiting {_maybe(queue['requests_waiting'])}  running {_maybe(queue['requests_running'])}",
        f"ingest     queue {_maybe(queue['ingest_depth'])}  dead letter {_maybe(queue['ingest_failures'])} (memctl queue list)"
        f"  watched files {_maybe(view.get('watched_files'))}",
        f"review     {_maybe(view.get('review_pending'))} facts waiting for you (memctl review)",
        f"search     {_latency_text(latency['search'])}{_copies_text(view.get('row_copies'))}",
        f"judge      {_latency_text(latency['judge'])}",
        f"telemetry  {'off' if view.get('telemetry_off') else 'NOT fully off (run memctl doctor)'}",
    ]
    files = dict(view.get("files") or {})
    if files:
        data = files.pop("data", None)
        lines.append(f"files      {data}  (everything; delete it, daemon stopped, to forget everything)")
        lines += [f"           {name:<11}{path}" for name, path in files.items()]
    return "\n".join(lines)
