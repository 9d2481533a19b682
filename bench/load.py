"""Concurrent clients mixing search and add against one daemon, for a fixed time.

Each client thread has its own connection; 80% searches, 20% single adds by
default. Prints throughput, p50/p95/p99 per op and the error count (target: zero).
With ``--judge-backlog N`` it first queues N transcript lines for the write gate
(through the ``ingest`` op) and reports search p95 while that backlog drains,
next to the idle figure.

Usage: python bench/load.py [--clients 32] [--seconds 20] [--judge-backlog 1000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, now, percentile  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402
from sidecar_client.client import Client  # noqa: E402


def run_clients(paths, clients: int, seconds: float, add_share: float, corpus: list[str]) -> dict:
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    samples: dict[str, list[float]] = {"search": [], "add": []}
    errors: list[str] = []

    def worker(index: int) -> None:
        rng = random.Random(index)
        client = Client(paths, timeout=30)
        local: dict[str, list[float]] = {"search": [], "add": []}
        while time.monotonic() < stop:
            op = "add" if rng.random() < add_share else "search"
            started = time.perf_counter()
            try:
                if op == "add":
                    client.add(rng.choice(corpus) + f" #{index}-{rng.random():.6f}", user_id=f"load-{index % 4}")
                else:
                    client.search(rng.choice(QUERIES), filters={"user_id": f"load-{index % 4}"}, top_k=5)
                local[op].append((time.perf_counter() - started) * 1000)
            except Exception as exc:  # counted, not fatal: this is what the benchmark measures
                with lock:
                    errors.append(f"{op}: {exc}")
        client.close()
        with lock:
            for key, values in local.items():
                samples[key].extend(values)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in samples.values())
    return {"requests": total, "per_s": round(total / elapsed, 1), "errors": len(errors),
            "error_samples": errors[:5],
            **{f"{op}_{name}_ms": round(percentile(values, q), 2)
               for op, values in samples.items() for name, q in (("p50", .5), ("p95", .95), ("p99", .99))}}


def queue_backlog(client: Client, home: Path, lines: int) -> int:
    """Write a generic transcript of ``lines`` memorable lines and queue it for the gate."""
    transcript = home / "backlog" / "backlog.jsonl"
    transcript.parent.mkdir(parents=True, exist_ok=True)
    with transcript.open("w") as handle:
        for i, text in enumerate(sentences(lines, seed=99)):
            handle.write(json.dumps({"role": "user", "content": text, "session_id": f"b{i // 50}"}) + "\n")
    result = client.call("ingest", {"paths": [str(transcript)], "agent": "generic", "wait": False}, timeout=120)
    return int(result.get("queued", 0))


def search_p95(client: Client, rounds: int) -> float:
    values = []
    for i in range(rounds):
        started = time.perf_counter()
        client.search(QUERIES[i % len(QUERIES)], filters={"user_id": "load-0"}, top_k=5)
        values.append((time.perf_counter() - started) * 1000)
    return round(percentile(values, .95), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--add-share", type=float, default=0.2)
    parser.add_argument("--seed-memories", type=int, default=2000)
    parser.add_argument("--judge-backlog", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    corpus = sentences(max(options.seed_memories, 100))
    home = Path(tempfile.mkdtemp(prefix="load-"))
    report = {"date": now(), "machine": machine(), "clients": options.clients, "seconds": options.seconds}
    with running_daemon(home) as daemon:
        for user in range(4):
            share = corpus[user::4]
            for start in range(0, len(share), 500):
                daemon.client.add([{"role": "user", "content": t} for t in share[start:start + 500]],
                                  user_id=f"load-{user}")
        report["mixed"] = run_clients(daemon.paths, options.clients, options.seconds, options.add_share, corpus)
        if options.judge_backlog:
            report["idle_search_p95_ms"] = search_p95(daemon.client, 200)
            report["backlog_queued"] = queue_backlog(daemon.client, home, options.judge_backlog)
            report["backlog_search_p95_ms"] = search_p95(daemon.client, 200)
            report["backlog_pending_after"] = daemon.client.status().get("ingest", {}).get("queue", {})
    mixed = report["mixed"]
    print(f"load benchmark, {report['date']}, {report['machine']}")
    print(f"{options.clients} clients for {options.seconds:g}s: {mixed['requests']} requests, {mixed['per_s']}/s, "
          f"errors {mixed['errors']}")
    for op in ("search", "add"):
        print(f"  {op:<6} p50 {mixed[f'{op}_p50_ms']:>7} ms  p95 {mixed[f'{op}_p95_ms']:>7} ms  "
              f"p99 {mixed[f'{op}_p99_ms']:>7} ms")
    if options.judge_backlog:
        print(f"search p95 idle {report['idle_search_p95_ms']} ms; with {report['backlog_queued']} judge jobs queued "
              f"{report['backlog_search_p95_ms']} ms")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0 if mixed["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
