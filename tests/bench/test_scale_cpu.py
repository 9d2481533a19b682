"""bench/scale.py's per-search CPU: another process's CPU time in ns, read from its kernel CPU-time clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from common import process_cpu_s  # noqa: E402
from scale import run_ns  # noqa: E402

BURN = """
import sys, threading
def burn():
    x = 0
    for i in range(3_000_000):
        x += i * i
threads = [threading.Thread(target=burn) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print("done", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process clocks only")
def test_run_time_counts_every_thread_and_agrees_with_the_tick_count() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"  # its worker threads have ended; their time stays counted
        ran_ms, ticks_ms = run_ns(child.pid) / 1e6, process_cpu_s(child.pid) * 1000
        assert ran_ms > 0
        assert abs(ran_ms - ticks_ms) <= 0.05 * ticks_ms + 30  # the same CPU time, the tick count rounded to 10 ms
    finally:
        child.communicate("\n")
    assert run_ns(child.pid) is None  # a process that is gone
