"""Search and add at growing store sizes on the server backend (PostgreSQL + pgvector), next to embedded.

The same loop as bench/scale.py (one daemon, one user, synthetic sentences from
bench/corpus.py), run on each backend named by ``--backend``; the PostgreSQL is a
pgserver one in a temp folder on a Unix socket. For each size: batched add
throughput, single add p50, search p50/p95 through the client, and CPU per
search of the daemon and (pgvector) of the PostgreSQL server processes.
Target (issue 12): pgvector search p95 at 100k <= 1.5x its p95 at 1k.

Usage: python bench/scale_pg.py [--backend pgvector embedded] [--sizes 1000 10000 100000] [--rounds 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, percentile, process_cpu_s, timed_ms  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.testing.daemons import running_daemon, write_config  # noqa: E402
from sidecar.testing.pg_server import pgvector_config, start_pg_server  # noqa: E402


def server_cpu_s(folder: Path) -> float:
    """CPU seconds of the PostgreSQL postmaster and its live backends."""
    import psutil

    pid = int((folder / "postmaster.pid").read_text().split()[0])
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def run_backend(backend: str, sizes: list[int], rounds: int, batch: int, corpus: list[str]) -> list[dict]:
    home = Path(tempfile.mkdtemp(prefix=f"scale-{backend[:2]}-"))
    server = start_pg_server() if backend == "pgvector" else None
    if server is not None:
        write_config(home, pgvector_config(server.new_database("scale")))
    rows = []
    try:
        with running_daemon(home) as daemon:
            client = daemon.client
            filled = 0
            for size in sizes:
                started = time.perf_counter()
                for start in range(filled, size, batch):
                    chunk = corpus[start:min(size, start + batch)]
                    client.add([{"role": "user", "content": t} for t in chunk], user_id="scale")
                rate = (size - filled) / (time.perf_counter() - started)
                filled = size
                for query in QUERIES[:5]:  # warm
                    client.search(query, filters={"user_id": "scale"}, top_k=5)
                daemon_cpu = process_cpu_s(daemon.pid) or 0.0
                pg_cpu = server_cpu_s(server.folder) if server else 0.0
                searches = [timed_ms(client.search, QUERIES[i % len(QUERIES)], filters={"user_id": "scale"}, top_k=5)
                            for i in range(rounds)]
                daemon_cpu = (process_cpu_s(daemon.pid) or 0.0) - daemon_cpu
                pg_cpu = (server_cpu_s(server.folder) - pg_cpu) if server else 0.0
                singles = [timed_ms(client.add, corpus[-1 - i], user_id="scale-single") for i in range(20)]
                client.delete_all(user_id="scale-single")
                row = {"backend": backend, "size": size, "add_batched_per_s": round(rate, 1),
                       "add_single_p50_ms": round(percentile(singles, .5), 2),
                       "search_p50_ms": round(percentile(searches, .5), 2),
                       "search_p95_ms": round(percentile(searches, .95), 2),
                       "search_cpu_ms_daemon": round(daemon_cpu * 1000 / rounds, 2),
                       "search_cpu_ms_postgres": round(pg_cpu * 1000 / rounds, 2) if server else None}
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        if server is not None:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["pgvector", "embedded"], choices=["pgvector", "embedded"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    corpus = sentences(sizes[-1] + 100)
    report: dict = {**header(), "rows": []}
    for backend in options.backend:
        rows = run_backend(backend, sizes, options.rounds, options.batch, corpus)
        report["rows"] += rows
        report[f"p95_ratio_{backend}"] = round(rows[-1]["search_p95_ms"] / rows[0]["search_p95_ms"], 2)
    print(f"scale benchmark (backends), {header_line(report)}")
    print(f"{'backend':>9} {'size':>8} {'add/s':>8} {'add p50':>8} {'srch p50':>9} {'srch p95':>9} "
          f"{'cpu ms daemon':>14} {'cpu ms pg':>10}")
    for row in report["rows"]:
        print(f"{row['backend']:>9} {row['size']:>8} {row['add_batched_per_s']:>8} {row['add_single_p50_ms']:>8} "
              f"{row['search_p50_ms']:>9} {row['search_p95_ms']:>9} {row['search_cpu_ms_daemon']:>14} "
              f"{row['search_cpu_ms_postgres'] if row['search_cpu_ms_postgres'] is not None else '-':>10}")
    for backend in options.backend:
        print(f"{backend}: search p95 largest / smallest = {report[f'p95_ratio_{backend}']} (target <= 1.5)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
