"""Recent-latency windows per op, and the daemon's resident memory.

A window keeps the last N durations (not a time span), so a quiet daemon still
shows what its last searches cost. Percentiles use the nearest-rank method on
a sorted copy: cheap for N = 1,000 and exact for what is kept.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Any

DEFAULT_WINDOW = 1000


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list (``fraction`` in 0..1)."""
    if not sorted_values:
        raise ValueError("percentile of an empty list")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class LatencyWindow:
    """The last ``size`` durations (seconds) of one kind of work; thread-safe."""

    def __init__(self, size: int = DEFAULT_WINDOW) -> None:
        self._durations: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.total = 0

    def record(self, seconds: float) -> None:
        with self._lock:
            self._durations.append(seconds)
            self.total += 1

    def summary(self) -> dict[str, Any]:
        """``{"count", "window", "p50_ms", "p95_ms"}``; the percentiles are None while empty."""
        with self._lock:
            values = sorted(self._durations)
            total = self.total
        if not values:
            return {"count": total, "window": 0, "p50_ms": None, "p95_ms": None}
        return {"count": total, "window": len(values),
                "p50_ms": round(percentile(values, 0.50) * 1000, 3),
                "p95_ms": round(percentile(values, 0.95) * 1000, 3)}


class OpLatencies:
    """One :class:`LatencyWindow` per op name, created on first use."""

    def __init__(self, size: int = DEFAULT_WINDOW) -> None:
        self._size = size
        self._windows: dict[str, LatencyWindow] = {}
        self._lock = threading.Lock()

    def record(self, op: str, seconds: float) -> None:
        window = self._windows.get(op)
        if window is None:
            with self._lock:
                window = self._windows.setdefault(op, LatencyWindow(self._size))
        window.record(seconds)

    def summary(self) -> dict[str, dict[str, Any]]:
        """``{op: LatencyWindow.summary()}`` for every op seen so far."""
        with self._lock:
            windows = dict(self._windows)
        return {op: window.summary() for op, window in sorted(windows.items())}


def rss_bytes() -> int | None:
    """Current resident set size: VmRSS on Linux, else the peak from getrusage (macOS: bytes)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return None
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024
