"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
import time
from datetime import datetime, timezone

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
