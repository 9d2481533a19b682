"""Search and add at growing store sizes, embedded (Chroma) or server (PostgreSQL + pgvector) backend.

One user owns every memory (the worst case for filtered queries). Stored text:
every LoCoMo turn and coding-agent transcript sentence, then renamed LoCoMo copies
(:func:`realistic.scale_texts`); queries: distinct LoCoMo questions, a fresh slice at
every size, so no query embedding is a cache hit. Searches go through the running
daemon. For each size: search wall p50/p95 and daemon CPU per search (and, on
pgvector, the PostgreSQL server's CPU per search), the p50/p95 of each search's own
daemon CPU (the daemon's CPU-time clock, in ns: on a shared machine the wall p95 mostly
measures the other sessions' load), single add p50, daemon RSS, and
disk per memory; the batched fill's rate and CPU per memory when the store was filled
in this run.

Chroma stores are filled once and kept as snapshots under ``bench/results/cache/scale``
(see bench/scale_store.py), so a second run measures at once; pgvector stores are
copied from the Chroma snapshot of the same size with its cached vectors and kept as
snapshots too (bench/scale_store_pg.py; ``--pg-fill daemon`` fills one through the daemon
instead); each size runs on a copy, on a pgserver PostgreSQL in a temp folder. Target:
search p95 at the largest size <= 1.5x the p95 at the smallest (the per-search CPU p95
ratio is printed beside it).

``--paired`` runs every size's daemon at once and alternates the searches between them, so each
size sees the same machine load (bench/scale_paired.py); the p95 ratio is then a comparison of
the stores rather than of the minutes each was measured in.

``--versus-mem0`` also times plain mem0's ``Memory.search`` in one process on each
(Chroma) store after the daemon stopped, with other fresh questions: the CPU ratio in one run.

Usage: python bench/scale.py [--backend chroma|pgvector] [--sizes 1000 10000 100000] [--rounds 300]
       [--paired] [--versus-mem0] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, percentile, process_cpu_s, timed_ms  # noqa: E402
from perf import disk_bytes, plain_mem0_searches, timed_fill  # noqa: E402
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


def run_ns(pid: int) -> int | None:
    """CPU nanoseconds process ``pid`` has used, all its threads (ended ones too), from its Linux CPU-time clock
    (``/proc/pid/stat`` counts 10 ms ticks, too coarse for one search); None if it is gone or not on Linux."""
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2)  # the kernel's process clock id: CPUCLOCK_SCHED of pid
    except (OSError, AttributeError):
        return None


def searches(client, pid: int, queries: list[str], user: str, top_k: int = 5) -> dict:
    """Each query once through the daemon (the first is a warm-up): wall p50/p95, mean daemon CPU, and each
    search's daemon CPU p50/p95."""
    client.search(queries[0], filters={"user_id": user}, top_k=top_k)
    walls: list[float] = []
    cpus: list[float] = []
    cpu_before = process_cpu_s(pid)
    for query in queries[1:]:
        ran = run_ns(pid)
        started = time.perf_counter()
        client.search(query, filters={"user_id": user}, top_k=top_k)
        walls.append((time.perf_counter() - started) * 1000)
        after = run_ns(pid)
        if ran is not None and after is not None:
            cpus.append(max(0, after - ran) / 1e6)
    cpu_after = process_cpu_s(pid)
    total = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000
    return {"p50_ms": round(percentile(walls, .5), 2), "p95_ms": round(percentile(walls, .95), 2),
            "cpu_ms_per_op": None if total is None else round(total / max(1, len(walls)), 2),
            "cpu_p50_ms": round(percentile(cpus, .5), 2) if cpus else None,
            "cpu_p95_ms": round(percentile(cpus, .95), 2) if cpus else None}


def measure(daemon, size: int, asked: list[str], corpus: list[str], server=None) -> dict:
    """The figures of one size on a loaded, idle daemon."""
    client = daemon.client
    wait_until(lambda: client.status()["in_flight"] <= 1, what="the daemon to be idle")
    time.sleep(3.0)  # debounced background work after the last write
    pg_before = server_cpu_s(server.folder) if server else 0.0
    search = searches(client, daemon.pid, asked, USER)
    pg_cpu = (server_cpu_s(server.folder) - pg_before) * 1000 / max(1, len(asked) - 1) if server else None
    singles = [timed_ms(client.add, corpus[-1 - i], user_id="scale-single") for i in range(20)]
    client.delete_all(user_id="scale-single")
    return {"size": size, "search_p50_ms": search["p50_ms"], "search_p95_ms": search["p95_ms"],
            "search_cpu_ms": search["cpu_ms_per_op"],
            "search_cpu_p50_ms": search["cpu_p50_ms"], "search_cpu_p95_ms": search["cpu_p95_ms"],
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
                 versus_mem0: bool = False, fill: str = "snapshot") -> list[dict]:
    """``fill="snapshot"``: each size on a copy of a cached store built from the Chroma snapshot's
    vectors (bench/scale_store_pg.py); ``fill="daemon"``: one store filled through the daemon's
    batched add in the run, which also reports the fill rate."""
    if fill == "daemon":
        return _run_pgvector_filled(sizes, rounds, batch, corpus, asked)
    from scale_store_pg import pg_daemon_on, pg_snapshot

    rows = []
    for size in sizes:
        snapshot, build = pg_snapshot(corpus, size)
        with pg_daemon_on(snapshot) as (daemon, server):
            row = measure(daemon, size, [next(asked) for _ in range(rounds + 1)], corpus, server)
        row["disk_bytes_per_memory"] = round(disk_bytes(snapshot) / size)
        if build:
            row["built_s"] = build["built_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _run_pgvector_filled(sizes: list[int], rounds: int, batch: int, corpus: list[str], asked) -> list[dict]:
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


def run_paired(backend: str, sizes: list[int], rounds: int, corpus: list[str], asked) -> list[dict]:
    """Every size's daemon at once, searches alternating between them (see bench/scale_paired.py)."""
    from scale_paired import paired_figures, single_adds

    with ExitStack() as stack:
        daemons, servers, snapshots = [], [], []
        for size in sizes:
            if backend == "chroma":
                snapshot, _ = filled_snapshot(corpus, size)
                daemon, server = stack.enter_context(daemon_on(snapshot)), None
            else:
                from scale_store_pg import pg_daemon_on, pg_snapshot

                snapshot, _ = pg_snapshot(corpus, size)
                daemon, server = stack.enter_context(pg_daemon_on(snapshot))
            daemons.append(daemon)
            servers.append(server)
            snapshots.append(snapshot)
        questions = [[next(asked) for _ in range(rounds + 1)] for _ in sizes]
        rows = paired_figures(daemons, questions, USER, run_ns=run_ns,
                              server_cpu=lambda i: server_cpu_s(servers[i].folder) if servers[i] else 0.0)
        for size, daemon, snapshot, row in zip(sizes, daemons, snapshots, rows):
            row.update(size=size, add_single_p50_ms=single_adds(daemon, [corpus[-1 - i] for i in range(20)]),
                       rss_mb=round(daemon.client.status()["rss_bytes"] / 2**20, 1),
                       disk_bytes_per_memory=round(disk_bytes(snapshot) / size))
            print(json.dumps(row), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="chroma")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-fill", choices=("snapshot", "daemon"), default="snapshot",
                        help="pgvector: copy cached stores built from the Chroma snapshots' vectors, or fill "
                             "one store through the daemon in the run (slow; reports the fill rate)")
    parser.add_argument("--paired", action="store_true",
                        help="run every size's daemon at once and alternate the searches between them")
    parser.add_argument("--versus-mem0", action="store_true",
                        help="chroma: also time plain mem0's Memory.search on each store (daemon stopped)")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    corpus = scale_texts(max(sizes[-1], KEY_TEXTS) + 20)  # the snapshots' key covers the first KEY_TEXTS texts
    asked = iter(questions((options.rounds + 1) * len(sizes) * 2))
    report = {**header(), "backend": options.backend, "paired": options.paired}
    if options.paired:
        rows = run_paired(options.backend, sizes, options.rounds, corpus, asked)
    elif options.backend == "chroma":
        rows = run_chroma(sizes, options.rounds, options.batch, corpus, asked, options.versus_mem0)
    else:
        rows = run_pgvector(sizes, options.rounds, options.batch, corpus, asked, options.versus_mem0, options.pg_fill)
    report["rows"] = rows
    report["load_after"] = header()["load"]
    report["p95_ratio_largest_to_smallest"] = round(rows[-1]["search_p95_ms"] / rows[0]["search_p95_ms"], 2)
    report["cpu_ratio_largest_to_smallest"] = round(rows[-1]["search_cpu_ms"] / rows[0]["search_cpu_ms"], 2) \
        if rows[0]["search_cpu_ms"] else None
    report["cpu_p95_ratio_largest_to_smallest"] = round(rows[-1]["search_cpu_p95_ms"] / rows[0]["search_cpu_p95_ms"],
                                                        2) if rows[0]["search_cpu_p95_ms"] else None
    print(f"scale benchmark ({options.backend})  {header_line(report)}  (load after: {report['load_after']})")
    print(f"{'size':>8} {'search p50':>10} {'p95':>7} {'CPU ms':>7} {'CPU p50/p95':>12} {'pg CPU':>7} {'add p50':>8} "
          f"{'RSS MB':>7} {'disk B/mem':>10} {'fill/s':>7} {'fill CPU ms':>11}")
    for row in rows:
        cpu = f"{row['search_cpu_p50_ms']}/{row['search_cpu_p95_ms']}"
        print(f"{row['size']:>8} {row['search_p50_ms']:>10} {row['search_p95_ms']:>7} {row['search_cpu_ms']:>7} "
              f"{cpu:>12} "
              f"{row['search_cpu_ms_postgres'] if row['search_cpu_ms_postgres'] is not None else '-':>7} "
              f"{row['add_single_p50_ms']:>8} {row['rss_mb']:>7} {row['disk_bytes_per_memory']:>10} "
              f"{row.get('fill_per_s', '-'):>7} {row.get('fill_cpu_ms_per_memory', '-'):>11}")
    for row in rows:
        if "mem0_cpu_ms" in row:
            print(f"{row['size']:>8} plain mem0: p50 {row['mem0_p50_ms']} / p95 {row['mem0_p95_ms']} ms, "
                  f"CPU {row['mem0_cpu_ms']} ms per search; daemon / mem0 CPU: {row['cpu_ratio_vs_mem0']}x")
    print(f"search p95 at {rows[-1]['size']} / at {rows[0]['size']}: {report['p95_ratio_largest_to_smallest']}x "
          f"(target <= 1.5x; daemon CPU per search: mean {report['cpu_ratio_largest_to_smallest']}x, "
          f"p95 {report['cpu_p95_ratio_largest_to_smallest']}x)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
