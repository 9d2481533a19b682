"""Search and add at growing store sizes, embedded (Chroma) or server (PostgreSQL + pgvector) backend.

One user owns every memory (the worst case for filtered queries). Stored text:
every LoCoMo turn and coding-agent transcript sentence, then renamed LoCoMo copies
(:func:`realistic.scale_texts`); queries: distinct LoCoMo questions, a fresh slice at
every size, so no query embedding is a cache hit. Searches go through the running
daemon. For each size: search wall p50/p95 and daemon CPU per search (and, on
pgvector, the PostgreSQL server's CPU per search), single add p50, daemon RSS, and
disk per memory; the batched fill's rate and CPU per memory when the store was filled
in this run.

Chroma stores are filled once and kept as snapshots under ``bench/results/cache/scale``
(see bench/scale_store.py), so a second run measures at once; pgvector stores are
filled in the run (the PostgreSQL is a pgserver one in a temp folder). Target:
search p95 at the largest size <= 1.5x the p95 at the smallest.

``--versus-mem0`` also times plain mem0's ``Memory.search`` in one process on each
(Chroma) store after the daemon stopped, with other fresh questions: the CPU ratio in one run.

Usage: python bench/scale.py [--backend chroma|pgvector] [--sizes 1000 10000 100000] [--rounds 300]
       [--versus-mem0] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, percentile, timed_ms  # noqa: E402
from perf import daemon_searches, disk_bytes, plain_mem0_searches, timed_fill  # noqa: E402
from realistic import questions, scale_texts  # noqa: E402
from scale_store import KEY_TEXTS, USER, daemon_on, filled_snapshot  # noqa: E402

from sidecar.testing.waiting import wait_until  # noqa: E402

BACKENDS = ("chroma", "pgvector")


def server_cpu_s(folder: Path) -> float:
    """CPU seconds of the PostgreSQL postmaster and its live backends."""
    import psutil

    pid = int((folder / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def measure(daemon, size: int, asked: list[str], corpus: list[str], server=None) -> dict:
    """The figures of one size on a loaded, idle daemon."""
    client = daemon.client
    wait_until(lambda: client.status()["in_flight"] <= 1, what="the daemon to be idle")
    time.sleep(3.0)  # debounced background work after the last write
    pg_before = server_cpu_s(server.folder) if server else 0.0
    search = daemon_searches(client, daemon.pid, asked, USER)
    pg_cpu = (server_cpu_s(server.folder) - pg_before) * 1000 / max(1, len(asked) - 1) if server else None
    singles = [timed_ms(client.add, corpus[-1 - i], user_id="scale-single") for i in range(20)]
    client.delete_all(user_id="scale-single")
    return {"size": size, "search_p50_ms": search["p50_ms"], "search_p95_ms": search["p95_ms"],
            "search_cpu_ms": search["cpu_ms_per_op"],
            "search_cpu_ms_postgres": None if pg_cpu is None else round(pg_cpu, 2),
            "add_single_p50_ms": round(percentile(singles, .5), 2),
            "rss_mb": round(client.status()["rss_bytes"] / 2**20, 1)}


def run_chroma(sizes: list[int], rounds: int, batch: int, corpus: list[str], asked,
               versus_mem0: bool = False) -> list[dict]:
    rows = []
    for size in sizes:
        snapshot, fill = filled_snapshot(corpus, size, batch=batch)
        with daemon_on(snapshot) as daemon:
            row = measure(daemon, size, [next(asked) for _ in range(rounds + 1)], corpus)
            if versus_mem0:  # the same store, daemon stopped, fresh questions
                daemon.stop()
                plain = plain_mem0_searches(daemon.env, [next(asked) for _ in range(rounds + 1)], USER)
                row.update(mem0_p50_ms=plain["p50_ms"], mem0_p95_ms=plain["p95_ms"],
                           mem0_cpu_ms=plain["cpu_ms_per_op"],
                           cpu_ratio_vs_mem0=round(row["search_cpu_ms"] / plain["cpu_ms_per_op"], 3)
                           if row["search_cpu_ms"] and plain["cpu_ms_per_op"] else None)
        row["disk_bytes_per_memory"] = round(disk_bytes(snapshot) / size)
        if fill:
            row.update(fill_per_s=fill["per_s"], fill_cpu_ms_per_memory=fill["cpu_ms_per_memory"])
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def run_pgvector(sizes: list[int], rounds: int, batch: int, corpus: list[str], asked,
                 versus_mem0: bool = False) -> list[dict]:
    from sidecar.testing.pg_server import pgvector_config, start_pg_server

    server = start_pg_server()
    rows = []
    try:
        with daemon_on(None, pgvector_config(server.new_database("scale"))) as daemon:
            filled = 0
            for size in sizes:
                fill = timed_fill(daemon.client, daemon.pid, corpus[filled:size], USER, batch)
                filled = size
                row = measure(daemon, size, [next(asked) for _ in range(rounds + 1)], corpus, server)
                row["disk_bytes_per_memory"] = round((disk_bytes(server.folder) + disk_bytes(daemon.home / "data"))
                                                     / size)
                row.update(fill_per_s=fill["per_s"], fill_cpu_ms_per_memory=fill["cpu_ms_per_memory"])
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="chroma")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--versus-mem0", action="store_true",
                        help="chroma: also time plain mem0's Memory.search on each store (daemon stopped)")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    corpus = scale_texts(max(sizes[-1], KEY_TEXTS) + 20)  # the snapshots' key covers the first KEY_TEXTS texts
    asked = iter(questions((options.rounds + 1) * len(sizes) * 2))
    report = {**header(), "backend": options.backend}
    runner = run_chroma if options.backend == "chroma" else run_pgvector
    rows = runner(sizes, options.rounds, options.batch, corpus, asked, options.versus_mem0)
    report["rows"] = rows
    report["load_after"] = header()["load"]
    report["p95_ratio_largest_to_smallest"] = round(rows[-1]["search_p95_ms"] / rows[0]["search_p95_ms"], 2)
    report["cpu_ratio_largest_to_smallest"] = round(rows[-1]["search_cpu_ms"] / rows[0]["search_cpu_ms"], 2) \
        if rows[0]["search_cpu_ms"] else None
    print(f"scale benchmark ({options.backend})  {header_line(report)}  (load after: {report['load_after']})")
    print(f"{'size':>8} {'search p50':>10} {'p95':>7} {'CPU ms':>7} {'pg CPU':>7} {'add p50':>8} "
          f"{'RSS MB':>7} {'disk B/mem':>10} {'fill/s':>7} {'fill CPU ms':>11}")
    for row in rows:
        print(f"{row['size']:>8} {row['search_p50_ms']:>10} {row['search_p95_ms']:>7} {row['search_cpu_ms']:>7} "
              f"{row['search_cpu_ms_postgres'] if row['search_cpu_ms_postgres'] is not None else '-':>7} "
              f"{row['add_single_p50_ms']:>8} {row['rss_mb']:>7} {row['disk_bytes_per_memory']:>10} "
              f"{row.get('fill_per_s', '-'):>7} {row.get('fill_cpu_ms_per_memory', '-'):>11}")
    for row in rows:
        if "mem0_cpu_ms" in row:
            print(f"{row['size']:>8} plain mem0: p50 {row['mem0_p50_ms']} / p95 {row['mem0_p95_ms']} ms, "
                  f"CPU {row['mem0_cpu_ms']} ms per search; daemon / mem0 CPU: {row['cpu_ratio_vs_mem0']}x")
    print(f"search p95 at {rows[-1]['size']} / at {rows[0]['size']}: {report['p95_ratio_largest_to_smallest']}x "
          f"(target <= 1.5x; daemon CPU per search: {report['cpu_ratio_largest_to_smallest']}x)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
