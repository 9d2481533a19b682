"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from sidecar.rpc import latency


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values), the same definition the daemon's status uses."""
    return latency.percentile(sorted(values), fraction)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def timed_ms(func, *args, **kwargs) -> float:
    started = time.perf_counter()
    func(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def load_average() -> str:
    """The 1/5/15-minute load averages ("n/a" where the system has none)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def header() -> dict[str, str]:
    """When and where a benchmark ran: date (UTC), machine, load averages at the start."""
    return {"date": now(), "machine": machine(), "load": load_average()}


def header_line(info: dict[str, str]) -> str:
    return f"{info['date']}  {info['machine']}  load {info['load']}"


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
