"""Search and add at growing store sizes: one daemon, one user, realistic text, distinct queries.

Stored text is LoCoMo turns (renamed copies past 4,124, see bench/realistic.py);
queries are distinct LoCoMo questions, a fresh slice at every size, so no query
embedding is a cache hit. For each size: batched add throughput to reach it
(with daemon CPU per memory), single add p50, search wall p50/p95 and daemon CPU
per search, daemon RSS, and disk per memory. Target: search p95 at the largest
size <= 1.5x the p95 at the smallest.

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
from common import header, header_line, percentile, timed_ms  # noqa: E402
from perf import daemon_searches, disk_bytes, timed_fill  # noqa: E402
from realistic import questions, stored_texts  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402
from sidecar.testing.waiting import wait_until  # noqa: E402

USER = "scale"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    corpus = stored_texts(sizes[-1] + 20)
    asked = iter(questions((options.rounds + 1) * len(sizes)))
    report = {**header(), "rows": []}
    home = Path(tempfile.mkdtemp(prefix="scale-"))
    with running_daemon(home) as daemon:
        client = daemon.client
        filled = 0
        for size in sizes:
            fill = timed_fill(client, daemon.pid, corpus[filled:size], USER, options.batch)
            filled = size
            wait_until(lambda: client.status()["in_flight"] <= 1, what="the daemon to be idle")
            time.sleep(3.0)  # debounced background work after the last write
            search = daemon_searches(client, daemon.pid, [next(asked) for _ in range(options.rounds + 1)], USER)
            singles = [timed_ms(client.add, corpus[-1 - i], user_id="scale-single") for i in range(20)]
            client.delete_all(user_id="scale-single")
            report["rows"].append({
                "size": size, "add_batched_per_s": fill["per_s"], "add_cpu_ms_per_memory": fill["cpu_ms_per_memory"],
                "add_single_p50_ms": round(percentile(singles, .5), 2),
                "search_p50_ms": search["p50_ms"], "search_p95_ms": search["p95_ms"],
                "search_cpu_ms": search["cpu_ms_per_op"],
                "rss_mb": round(client.status()["rss_bytes"] / 2**20, 1),
                "disk_bytes_per_memory": round(disk_bytes(home / "data") / size)})
    rows = report["rows"]
    report["p95_ratio_largest_to_smallest"] = round(rows[-1]["search_p95_ms"] / rows[0]["search_p95_ms"], 2)
    report["cpu_ratio_largest_to_smallest"] = round(rows[-1]["search_cpu_ms"] / rows[0]["search_cpu_ms"], 2) \
        if rows[0]["search_cpu_ms"] else None
    print(f"scale benchmark  {header_line(report)}")
    print(f"{'size':>8} {'add/s':>7} {'add CPU ms':>10} {'add p50':>8} {'search p50':>10} {'p95':>7} "
          f"{'CPU ms':>7} {'RSS MB':>7} {'disk B/mem':>10}")
    for row in rows:
        print(f"{row['size']:>8} {row['add_batched_per_s']:>7} {row['add_cpu_ms_per_memory']:>10} "
              f"{row['add_single_p50_ms']:>8} {row['search_p50_ms']:>10} {row['search_p95_ms']:>7} "
              f"{row['search_cpu_ms']:>7} {row['rss_mb']:>7} {row['disk_bytes_per_memory']:>10}")
    print(f"search p95 at {rows[-1]['size']} / at {rows[0]['size']}: {report['p95_ratio_largest_to_smallest']}x "
          f"(daemon CPU per search: {report['cpu_ratio_largest_to_smallest']}x)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
