"""Recent request latencies per op, for ``status`` (p50/p95 over a sliding window)."""

from __future__ import annotations

import math
import threading
from collections import deque


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


class OpLatencies:
    """The last ``window`` durations of each op, in milliseconds."""

    def __init__(self, window: int = 1000) -> None:
        self._window = window
        self._samples: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def record(self, op: str, millis: float) -> None:
        with self._lock:
            self._samples.setdefault(op, deque(maxlen=self._window)).append(millis)

    def summary(self) -> dict[str, dict[str, float]]:
        with self._lock:
            snapshot = {op: sorted(values) for op, values in self._samples.items()}
        return {op: {"n": len(v), "p50_ms": round(percentile(v, 0.50), 2), "p95_ms": round(percentile(v, 0.95), 2)}
                for op, v in snapshot.items()}


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
