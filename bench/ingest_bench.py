"""Ingest benchmark: throughput, append-to-searchable latency, search latency under a full queue.

Runs a real daemon (embedded judge) on a temporary home and reports:

* ingest throughput (transcript lines per second) over the sample transcripts;
* p95 time from a line appended to a watched transcript to its memory being searchable;
* search p95 while ~1,000 judge jobs are queued, against search p95 when idle (target: within 2x).

Usage: python bench/ingest_bench.py [TRANSCRIPTS_DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402

from sidecar.learn.parse import detect_agent  # noqa: E402
from sidecar.testing.daemons import DaemonProcess, running_daemon  # noqa: E402
from sidecar.testing.waiting import wait_until

DEFAULT_TRANSCRIPTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "transcripts"
SUFFIXES = (".jsonl", ".json", ".md")


def facts(count: int, seed: int) -> list[str]:
    """Distinct memorable sentences about people, varied enough that none restates another."""
    topics = ("billing search payments mobile analytics compiler kernel security onboarding checkout logistics "
              "firmware networking storage telemetry graphics audio robotics genomics astronomy chemistry geology "
              "linguistics philosophy architecture carpentry pottery photography cinema theatre ballet opera jazz "
              "violin cello chess rugby cricket tennis hockey cycling rowing sailing climbing skiing surfing diving "
              "fencing archery beekeeping gardening baking brewing fishing knitting origami calligraphy cartography "
              "meteorology seismology entomology ornithology botany mycology zoology virology cardiology radiology "
              "dentistry pharmacy nursing forestry agriculture mining shipping aviation railways plumbing welding "
              "masonry roofing upholstery perfumery typography volcanology oceanography sculpture quilting poker "
              "trumpet drums hunting winemaking cheesemaking immunology dermatology midwifery veterinary trucking").split()
    templates = ["My colleague {n} works on the {p} team.", "My friend {n} is obsessed with {p}.",
                 "My neighbour {n} teaches {p} at the community college.", "My cousin {n} studies {p} at university.",
                 "My manager {n} used to work in {p} before joining us.", "My sister-in-law {n} writes a blog about {p}.",
                 "My old roommate {n} got a PhD in {p}.", "My dentist {n} collects antique books on {p}.",
                 "My mentor {n} gives conference talks about {p}.", "My uncle {n} runs a small {p} business in Porto."]
    first = "Alice Bogdan Chen Dmitri Eva Farah Goran Hiro Ingrid Jamal Kofi Lena Mateo Nadia Oskar Priya".split()
    last = "Smith Novak Ito Okafor Larsen Silva Kowalski Haddad Moreau Becker Tanaka Rossi Nguyen Petrov".split()
    second = "Vale Holm Ruiz Quinn Costa Sato Zhou Kim".split()
    names = list(itertools.product(first, last, second))
    random.Random(seed).shuffle(names)
    return [templates[i % 10].format(n=f"{a} {b}-{m}", p=topics[(i // 10) % len(topics)])
            for i, (a, b, m) in enumerate(names[:count])]


def line(text: str) -> str:
    return json.dumps({"role": "user", "content": text}) + "\n"


def wait_idle(daemon: DaemonProcess) -> None:
    wait_until(lambda: daemon.client.call("watch.status")["queue"]["pending"] == 0, interval=0.2,
               what="the judge queue to drain")


def throughput(daemon: DaemonProcess, transcripts: Path) -> dict[str, Any]:
    files = [p for p in sorted(transcripts.rglob("*")) if p.is_file() and p.name.endswith(SUFFIXES)
             and detect_agent(p) is not None]
    started = time.perf_counter()
    result = daemon.client.ingest([str(p) for p in files], wait=True, timeout=1800)
    elapsed = time.perf_counter() - started
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    return {"files": len(files), "lines": lines, "records": result["records"], "jobs": result["queued"],
            "added": result["added"], "seconds": round(elapsed, 2), "lines_per_s": round(lines / elapsed, 1),
            "jobs_per_s": round(result["queued"] / elapsed, 1), "pending_after": result["pending"]}


def append_latency(daemon: DaemonProcess, folder: Path, samples: int) -> dict[str, Any]:
    transcript = folder / "live.jsonl"
    latencies = []
    for text in facts(samples, seed=11):
        fact_words = text.split()[2:4]  # the person's name survives into the stored fact
        needle = " ".join(fact_words)
        started = time.perf_counter()
        with transcript.open("a") as handle:
            handle.write(line(text))
        deadline = started + 30
        while time.perf_counter() < deadline:
            hits = daemon.client.call("search", {"query": text, "filters": {"user_id": "bench"}, "top_k": 3})
            if any(needle in h["memory"] for h in hits["results"]):
                latencies.append(time.perf_counter() - started)
                break
            time.sleep(0.01)
    return {"samples": samples, "found": len(latencies), "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1)}


def search_times(daemon: DaemonProcess, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        daemon.client.call("search", {"query": query, "filters": {"user_id": "bench"}, "top_k": 10})
        times.append(time.perf_counter() - started)
    return times


def search_under_load(daemon: DaemonProcess, folder: Path, jobs: int) -> dict[str, Any]:
    queries = [f"who works on {t}" for t in ("billing", "kernel", "jazz", "rowing", "botany")] * 20
    idle = search_times(daemon, queries)
    (folder / "load.jsonl").write_text("".join(line(t) for t in facts(jobs, seed=23)))
    deadline = time.monotonic() + 30
    while daemon.client.call("watch.status")["queue"]["pending"] < jobs * 0.9 and time.monotonic() < deadline:
        time.sleep(0.02)
    depth_before = daemon.client.call("watch.status")["queue"]["pending"]
    loaded = search_times(daemon, queries)
    depth_after = daemon.client.call("watch.status")["queue"]["pending"]
    wait_idle(daemon)
    return {"idle_p95_ms": round(percentile(idle, 0.95) * 1000, 2), "loaded_p95_ms": round(percentile(loaded, 0.95) * 1000, 2),
            "ratio": round(percentile(loaded, 0.95) / percentile(idle, 0.95), 2), "queue_depth_before": depth_before,
            "queue_depth_after": depth_after, "searches": len(queries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transcripts", nargs="?", type=Path, default=DEFAULT_TRANSCRIPTS)
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--load-jobs", type=int, default=1000)
    options = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="ib-", dir="/tmp"))
    folder = home / "watched"
    folder.mkdir()
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text(
        f'user_id = "bench"\n[watch]\ngeneric_dirs = ["{folder}"]\nrescan_seconds = 30\ndebounce_ms = 20\n'
        '[watch.enabled]\nclaude-code = false\ncodex = false\ngemini = false\n')
    report: dict[str, Any] = {}
    with running_daemon(home, env={"HOME": str(home / "user")}) as daemon:
        report["throughput"] = throughput(daemon, options.transcripts.resolve())
        report["append_to_searchable"] = append_latency(daemon, folder, options.latency_samples)
        report["search_under_load"] = search_under_load(daemon, folder, options.load_jobs)
        report["judge"] = daemon.client.call("watch.status")["judge"]
    rows = [
        ("ingest throughput", f"{report['throughput']['lines_per_s']} lines/s "
                              f"({report['throughput']['lines']} lines, {report['throughput']['jobs']} jobs, "
                              f"{report['throughput']['seconds']} s)"),
        ("append -> searchable p50 / p95", f"{report['append_to_searchable']['p50_ms']} / "
                                           f"{report['append_to_searchable']['p95_ms']} ms"),
        ("search p95 idle", f"{report['search_under_load']['idle_p95_ms']} ms"),
        ("search p95, queue full", f"{report['search_under_load']['loaded_p95_ms']} ms (depth "
                                   f"{report['search_under_load']['queue_depth_before']} -> "
                                   f"{report['search_under_load']['queue_depth_after']})"),
        ("loaded / idle", f"{report['search_under_load']['ratio']}x (target <= 2x)"),
        ("judge p50 / p95", f"{report['judge']['p50_ms']} / {report['judge']['p95_ms']} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if options.json_out:
        options.json_out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
