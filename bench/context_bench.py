"""Context benchmark: ``context`` op latency (p50/p95) through a real daemon,
in Direct mode (small MEMORY.md, MD5-cached) and in RAG mode at 10k memories.

Usage: python bench/context_bench.py [--memories 10000] [--rounds 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402
from sidecar.testing.waiting import wait_until


def context_latencies(client, user: str, rounds: int, expected_mode: str, session: str) -> list[float]:
    out = []
    for index in range(rounds):
        started = time.perf_counter()
        result = client.call("context", {"query": QUERIES[index % len(QUERIES)], "user_id": user,
                                         "session_id": session})
        out.append((time.perf_counter() - started) * 1000)
        if result["mode"] != expected_mode:
            raise RuntimeError(f"expected {expected_mode} mode, got {result['mode']}")
    return out


def wait_for_mode(client, user: str, mode: str) -> None:
    wait_until(lambda: client.call("context", {"query": QUERIES[0], "user_id": user})["mode"] == mode,
               interval=0.25, what=f"{user} to reach {mode} mode")


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 0.5), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "rounds": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--direct-memories", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ctxb-", dir="/tmp"))
    corpus = sentences(options.memories + options.direct_memories)
    report: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}"}
    try:
        with running_daemon(home) as daemon:
            client = daemon.client
            session = [{"role": "user", "content": f"Earlier turn {n}: {text}"} for n, text in enumerate(corpus[:10])]
            client.call("session.update", {"session_id": "bench", "messages": session})

            client.add([{"role": "user", "content": t} for t in corpus[:options.direct_memories]], user_id="direct")
            wait_for_mode(client, "direct", "direct")
            before = client.status()["context"]
            report["direct"] = summary(context_latencies(client, "direct", options.rounds, "direct", "bench"))
            after = client.status()["context"]
            report["direct"]["cache_hits"] = after["cache_hits"] - before["cache_hits"]
            report["direct"]["cache_misses"] = after["cache_misses"] - before["cache_misses"]

            started = time.perf_counter()
            rest = corpus[options.direct_memories:]
            for start in range(0, len(rest), 250):
                client.add([{"role": "user", "content": t} for t in rest[start:start + 250]], user_id="rag")
            report["fill_seconds"] = round(time.perf_counter() - started, 1)
            wait_for_mode(client, "rag", "rag")
            report["rag"] = summary(context_latencies(client, "rag", options.rounds, "rag", "bench"))
            report["rag"]["memories"] = len(rest)
            report["memories_total"] = client.status()["memories"]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{'mode':<8}{'memories':>10}{'p50 ms':>10}{'p95 ms':>10}{'rounds':>8}")
    print(f"{'direct':<8}{options.direct_memories:>10}{report['direct']['p50_ms']:>10}"
          f"{report['direct']['p95_ms']:>10}{report['direct']['rounds']:>8}")
    print(f"{'rag':<8}{report['rag']['memories']:>10}{report['rag']['p50_ms']:>10}"
          f"{report['rag']['p95_ms']:>10}{report['rag']['rounds']:>8}")
    print(f"direct cache: {report['direct']['cache_hits']} hits, {report['direct']['cache_misses']} misses; "
          f"fill {report['fill_seconds']} s")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
