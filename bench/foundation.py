"""Foundation benchmark: start-up, add throughput, warm distinct-query search against plain mem0, memctl.

Measured in one run on one store of realistic text (LoCoMo turns, see
bench/realistic.py), with distinct LoCoMo questions as queries (each asked once:
no query-embedding cache hits):

* start: how soon ``ping`` answers after the process starts, and how soon a
  search sent right then is answered (it waits for the store to load);
* add with infer=False: single p50 and batched memories/s, with daemon CPU;
* warm search at each size: client wall p50/p95 and daemon CPU per search, next
  to plain mem0 ``Memory.search`` in one process on the same store (the daemon
  stopped meanwhile: two processes must never open one store), as ratios;
* whole-process ``memctl search`` vs a one-shot python script that imports mem0;
* daemon RSS loaded and after the fill; disk per memory; memctl peak RSS.

Usage: python bench/foundation.py [--sizes 1000 10000] [--rounds 300] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line  # noqa: E402
from perf import daemon_searches, disk_bytes, plain_mem0_searches, timed_fill  # noqa: E402
from realistic import distinct_questions, questions, stored_texts  # noqa: E402

from sidecar.testing.daemons import start_daemon  # noqa: E402
from sidecar.testing.waiting import wait_until  # noqa: E402

MEMCTL = str(Path(sys.executable).with_name("memctl"))
USER = "bench"
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


def settle(client) -> None:
    """Wait until the daemon has no request in flight and its background work after a fill is done."""
    wait_until(lambda: client.status()["in_flight"] <= 1, what="the daemon to be idle")  # status counts itself
    time.sleep(3.0)  # debounced MEMORY.md render and counts after the last write


def timed_start(home: Path, query: str):
    """Start a daemon; seconds until ping answers, and until a search sent then is answered."""
    started = time.perf_counter()
    daemon = start_daemon(home, loaded=False)
    ping_s = time.perf_counter() - started
    daemon.client.search(query, filters={"user_id": USER}, top_k=5)
    searched_s = time.perf_counter() - started
    # a search is answered before the write half has loaded; what follows needs the whole daemon
    daemon.wait_loaded()
    return daemon, round(ping_s, 3), round(searched_s, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--process-runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    sizes = sorted(options.sizes)
    home = Path(tempfile.mkdtemp(prefix="bench-"))
    report: dict = {**header(), "distinct_questions": distinct_questions(), "sizes": {}}
    corpus = stored_texts(sizes[-1] + 200)
    asked = iter(questions((options.rounds + 1) * (len(sizes) + 1) + 10))  # a fresh slice for every daemon run
    daemon, report["start_ping_s"], report["start_first_search_s"] = timed_start(home, next(asked))
    env = daemon.env
    report["daemon_rss_loaded_mb"] = round(daemon.client.status()["rss_bytes"] / 2**20, 1)
    singles = []
    for text in corpus[-200:]:
        started = time.perf_counter()
        daemon.client.add(text, user_id="bench-single")
        singles.append((time.perf_counter() - started) * 1000)
    report["add_single_p50_ms"] = round(statistics.median(singles), 2)
    filled, fills = 0, []
    for size in sizes:
        fills.append(timed_fill(daemon.client, daemon.pid, corpus[filled:size], USER, options.batch))
        filled = size
        settle(daemon.client)
        queries = [next(asked) for _ in range(options.rounds + 1)]
        row = {"daemon": daemon_searches(daemon.client, daemon.pid, queries, USER)}
        daemon.stop()
        row["plain_mem0"] = plain_mem0_searches(env, queries, USER)
        d, m = row["daemon"], row["plain_mem0"]
        row["wall_p50_ratio_to_mem0"] = round(d["p50_ms"] / m["p50_ms"], 2)
        row["cpu_ratio_to_mem0"] = round(d["cpu_ms_per_op"] / m["cpu_ms_per_op"], 2) \
            if d["cpu_ms_per_op"] and m["cpu_ms_per_op"] else None
        row["disk_bytes_per_memory"] = round(disk_bytes(home / "data") / (size + 200))
        report["sizes"][size] = row
        daemon = start_daemon(home)
    report["add_batched"] = fills[-1]
    report["daemon_rss_after_mb"] = round(daemon.client.status()["rss_bytes"] / 2**20, 1)
    # A user's memctl meets a daemon that has been up a while, not one whose fresh start still works in the
    # background (the parser's warm-up, the counts).
    settle(daemon.client)
    query = next(asked)
    memctl_runs = timed_runs([MEMCTL, "search", query, "--user", USER], env, options.process_runs)
    report["memctl_peak_rss_mb"] = round(peak_rss_of([MEMCTL, "search", query, "--user", USER], env) / 2**20, 1)
    daemon.stop()
    one_shot = timed_runs([sys.executable, "-c", ONE_SHOT.format(query=query)], env, options.process_runs)
    report["memctl_search_s"] = round(statistics.median(memctl_runs), 3)
    report["one_shot_mem0_search_s"] = round(statistics.median(one_shot), 3)
    report["speedup"] = round(statistics.median(one_shot) / statistics.median(memctl_runs), 1)
    print_table(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


def print_table(report: dict) -> None:
    print(f"foundation benchmark  {header_line(report)}")
    print(f"  start: ping after {report['start_ping_s']} s; a search sent then answered after "
          f"{report['start_first_search_s']} s")
    print(f"  whole-process memctl search   {report['memctl_search_s'] * 1000:8.0f} ms (median)")
    print(f"  one-shot python + mem0 search {report['one_shot_mem0_search_s'] * 1000:8.0f} ms (median)"
          f"   -> memctl {report['speedup']}x faster")
    print(f"  warm search, distinct LoCoMo questions ({report['distinct_questions']} available), top 5:")
    for size, row in report["sizes"].items():
        d, m = row["daemon"], row["plain_mem0"]
        print(f"    @ {size:>6}: daemon p50 {d['p50_ms']:6.1f} p95 {d['p95_ms']:6.1f} ms, CPU {d['cpu_ms_per_op']} ms"
              f" | plain mem0 p50 {m['p50_ms']:6.1f} p95 {m['p95_ms']:6.1f} ms, CPU {m['cpu_ms_per_op']} ms"
              f" | ratio wall {row['wall_p50_ratio_to_mem0']}x, CPU {row['cpu_ratio_to_mem0']}x"
              f" | disk {row['disk_bytes_per_memory']} B/memory")
    add = report["add_batched"]
    print(f"  add infer=False: single p50 {report['add_single_p50_ms']} ms; batched {add['per_s']} memories/s"
          f" ({add['cpu_ms_per_memory']} ms daemon CPU per memory)")
    print(f"  daemon RSS: loaded {report['daemon_rss_loaded_mb']} MB, after fill {report['daemon_rss_after_mb']} MB;"
          f" memctl peak RSS {report['memctl_peak_rss_mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
