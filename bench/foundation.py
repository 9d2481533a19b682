"""Foundation benchmark: daemon vs one-shot mem0, search latency, add throughput, memory.

Measured side by side in one run on the same store:

* whole-process ``memctl search`` vs a one-shot ``python -c`` that imports mem0,
  builds the same Memory and searches (the daemon is stopped while the one-shot
  runs, since two processes must never open one store);
* warm client search round trip at 1k and 10k memories (p50/p95), and the
  daemon's overhead over the same search done in-process through mem0;
* add with infer=False: single p50 and batched throughput;
* daemon RSS after loading and after 10k memories; memctl peak RSS.

Usage: python bench/foundation.py [--sizes 1000 10000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.testing.daemons import start_daemon  # noqa: E402

MEMCTL = str(Path(sys.executable).with_name("memctl"))
ONE_SHOT = """
import sidecar.process.offline; sidecar.process.offline.apply()
from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
store = MemoryStore(load_settings())
print(len(store.search({query!r}, filters={{"user_id": "bench"}}, top_k=5)["results"]))
"""


def timed_runs(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def peak_rss_of(argv: list[str], env: dict[str, str]) -> int:
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
    out = subprocess.run([sys.executable, "-c", probe, *argv], env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def fill(client, texts: list[str], batch: int = 200) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        client.add([{"role": "user", "content": t} for t in texts[start:start + batch]], user_id="bench")
    return len(texts) / (time.perf_counter() - started)


def settle(client, seconds: float = 5.0) -> None:
    """Let the daemon finish the background work a fill triggers (MEMORY.md render, counts)."""
    deadline = time.monotonic() + 60
    while client.status()["in_flight"] > 1 and time.monotonic() < deadline:  # the status request counts itself
        time.sleep(0.2)
    time.sleep(seconds)


def search_latencies(client, rounds: int) -> list[float]:
    settle(client)
    client.search(QUERIES[0], filters={"user_id": "bench"}, top_k=5)
    out = []
    for i in range(rounds):
        started = time.perf_counter()
        client.search(QUERIES[i % len(QUERIES)], filters={"user_id": "bench"}, top_k=5)
        out.append((time.perf_counter() - started) * 1000)
    return out


def in_process_latencies(env: dict[str, str], rounds: int) -> list[float]:
    script = f"""
import json, time, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from corpus import QUERIES
import sidecar.process.offline; sidecar.process.offline.apply()
from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
store = MemoryStore(load_settings())
store.search(QUERIES[0], filters={{"user_id": "bench"}}, top_k=5)
out = []
for i in range({rounds}):
    t = time.perf_counter(); store.search(QUERIES[i % len(QUERIES)], filters={{"user_id": "bench"}}, top_k=5)
    out.append((time.perf_counter() - t) * 1000)
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--process-runs", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-"))
    report: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
                    "sizes": {}}
    corpus = sentences(max(options.sizes))
    daemon = start_daemon(home)
    env = daemon.env
    report["daemon_rss_loaded_mb"] = round(daemon.client.status()["rss_bytes"] / 2**20, 1)
    singles = []
    for text in corpus[:200]:
        started = time.perf_counter()
        daemon.client.add(text, user_id="bench")
        singles.append((time.perf_counter() - started) * 1000)
    report["add_single_p50_ms"] = round(statistics.median(singles), 2)
    filled = 200
    batched_rates = []
    for size in sorted(options.sizes):
        batched_rates.append(fill(daemon.client, corpus[filled:size]))
        filled = size
        client_ms = search_latencies(daemon.client, options.rounds)
        daemon.stop()
        inproc_ms = in_process_latencies(env, options.rounds)
        report["sizes"][size] = {
            "client_p50_ms": round(percentile(client_ms, .5), 2), "client_p95_ms": round(percentile(client_ms, .95), 2),
            "inproc_p50_ms": round(percentile(inproc_ms, .5), 2), "inproc_p95_ms": round(percentile(inproc_ms, .95), 2),
            "overhead_p50_pct": round(100 * (percentile(client_ms, .5) / percentile(inproc_ms, .5) - 1), 1)}
        daemon = start_daemon(home)
    report["add_batched_per_s"] = round(statistics.median(batched_rates), 1)
    search_all = search_latencies(daemon.client, 50)
    report["daemon_rss_after_mb"] = round(daemon.client.status()["rss_bytes"] / 2**20, 1)
    memctl_runs = timed_runs([MEMCTL, "search", QUERIES[0], "--user", "bench"], env, options.process_runs)
    report["memctl_peak_rss_mb"] = round(peak_rss_of([MEMCTL, "search", QUERIES[0], "--user", "bench"], env) / 2**20, 1)
    daemon.stop()
    one_shot = timed_runs([sys.executable, "-c", ONE_SHOT.format(query=QUERIES[0])], env, options.process_runs)
    report["memctl_search_s"] = round(statistics.median(memctl_runs), 3)
    report["one_shot_mem0_search_s"] = round(statistics.median(one_shot), 3)
    report["speedup"] = round(statistics.median(one_shot) / statistics.median(memctl_runs), 1)
    report["warm_search_last_p50_ms"] = round(percentile(search_all, .5), 2)
    print_table(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


def print_table(report: dict) -> None:
    print(f"foundation benchmark, {report['date']}, {report['machine']}")
    print(f"  whole-process memctl search   {report['memctl_search_s'] * 1000:8.0f} ms (median)")
    print(f"  one-shot python + mem0 search {report['one_shot_mem0_search_s'] * 1000:8.0f} ms (median)"
          f"   -> memctl {report['speedup']}x faster")
    for size, row in report["sizes"].items():
        print(f"  search @ {size:>6}: client p50 {row['client_p50_ms']:6.2f} ms  p95 {row['client_p95_ms']:6.2f} ms"
              f" | in-process p50 {row['inproc_p50_ms']:6.2f} ms  p95 {row['inproc_p95_ms']:6.2f} ms"
              f" | overhead p50 {row['overhead_p50_pct']:+.0f}%")
    print(f"  add infer=False: single p50 {report['add_single_p50_ms']} ms; batched {report['add_batched_per_s']} memories/s")
    print(f"  daemon RSS: loaded {report['daemon_rss_loaded_mb']} MB, after fill {report['daemon_rss_after_mb']} MB;"
          f" memctl peak RSS {report['memctl_peak_rss_mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
