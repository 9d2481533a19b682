"""Search and add at growing store sizes (one daemon, one user, synthetic sentences).

For each size: batched add throughput to reach it, single add p50, search p50/p95
through the client, and daemon RSS. Target: search p95 at the largest size
<= 1.5x the p95 at the smallest.

Usage: python bench/scale.py [--sizes 1000 10000 100000] [--rounds 300] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, now, percentile, timed_ms  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    corpus = sentences(sizes[-1] + 100)
    report = {"date": now(), "machine": machine(), "rows": []}
    with running_daemon(Path(tempfile.mkdtemp(prefix="scale-"))) as daemon:
        client = daemon.client
        filled = 0
        for size in sizes:
            started = time.perf_counter()
            for start in range(filled, size, options.batch):
                chunk = corpus[start:min(size, start + options.batch)]
                client.add([{"role": "user", "content": t} for t in chunk], user_id="scale")
            rate = (size - filled) / (time.perf_counter() - started)
            filled = size
            client.search(QUERIES[0], filters={"user_id": "scale"}, top_k=5)
            searches = [timed_ms(client.search, QUERIES[i % len(QUERIES)], filters={"user_id": "scale"}, top_k=5)
                        for i in range(options.rounds)]
            singles = [timed_ms(client.add, corpus[-1 - i], user_id="scale-single") for i in range(20)]
            client.delete_all(user_id="scale-single")
            report["rows"].append({
                "size": size, "add_batched_per_s": round(rate, 1),
                "add_single_p50_ms": round(percentile(singles, .5), 2),
                "search_p50_ms": round(percentile(searches, .5), 2),
                "search_p95_ms": round(percentile(searches, .95), 2),
                "rss_mb": round(client.status()["rss_bytes"] / 2**20, 1)})
    rows = report["rows"]
    report["p95_ratio_largest_to_smallest"] = round(rows[-1]["search_p95_ms"] / rows[0]["search_p95_ms"], 2)
    print(f"scale benchmark, {report['date']}, {report['machine']}")
    print(f"{'size':>8} {'add/s (batch)':>14} {'add p50 ms':>11} {'search p50':>11} {'search p95':>11} {'RSS MB':>8}")
    for row in rows:
        print(f"{row['size']:>8} {row['add_batched_per_s']:>14} {row['add_single_p50_ms']:>11} "
              f"{row['search_p50_ms']:>11} {row['search_p95_ms']:>11} {row['rss_mb']:>8}")
    print(f"search p95 at {rows[-1]['size']} / at {rows[0]['size']}: {report['p95_ratio_largest_to_smallest']}x")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
