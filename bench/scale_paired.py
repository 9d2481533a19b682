"""Paired scale runs: every size's daemon runs at once and the searches alternate between them.

On a shared machine the load of other work changes from minute to minute, so sizes measured
one after the other see different machines: a p95 ratio between them mostly measures when
each was taken. Here round ``r`` sends one distinct question to each size in turn (the order
rotates every round), so every size sees the same load, and the ratio of p95s compares the
stores. Each size gets its own fresh questions (no query embedding is a cache hit). Used by
``bench/scale.py --paired``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from common import percentile, process_cpu_s, timed_ms

from sidecar.testing.waiting import wait_until

SETTLE_S = 3.0  # debounced background work after a daemon's start


def paired_figures(daemons: list[Any], questions: list[list[str]], user: str, top_k: int = 5,
                   run_ns: Callable[[int], int | None] = lambda pid: None,
                   server_cpu: Callable[[int], float] = lambda index: 0.0) -> list[dict]:
    """Wall p50/p95 and daemon CPU per search for each daemon, searches alternating between them;
    ``questions[i]`` holds daemon i's questions (the first is a warm-up); ``server_cpu(i)`` is the CPU
    seconds of daemon i's database server so far (0 without one)."""
    for daemon, asked in zip(daemons, questions):
        wait_until(lambda d=daemon: d.client.status()["in_flight"] <= 1, what="the daemon to be idle")
        daemon.client.search(asked[0], filters={"user_id": user}, top_k=top_k)
    time.sleep(SETTLE_S)
    walls: list[list[float]] = [[] for _ in daemons]
    cpus: list[list[float]] = [[] for _ in daemons]
    cpu_before = [process_cpu_s(d.pid) for d in daemons]
    server_before = [server_cpu(i) for i in range(len(daemons))]
    rounds = min(len(asked) for asked in questions) - 1
    for r in range(rounds):
        order = list(range(len(daemons)))
        order = order[r % len(order):] + order[:r % len(order)]
        for i in order:
            daemon = daemons[i]
            ran = run_ns(daemon.pid)
            started = time.perf_counter()
            daemon.client.search(questions[i][r + 1], filters={"user_id": user}, top_k=top_k)
            walls[i].append((time.perf_counter() - started) * 1000)
            after = run_ns(daemon.pid)
            if ran is not None and after is not None:
                cpus[i].append(max(0, after - ran) / 1e6)
    rows = []
    for i, daemon in enumerate(daemons):
        cpu_after = process_cpu_s(daemon.pid)
        total = None if cpu_before[i] is None or cpu_after is None else (cpu_after - cpu_before[i]) * 1000
        server = (server_cpu(i) - server_before[i]) * 1000 / max(1, rounds)
        rows.append({"search_p50_ms": round(percentile(walls[i], .5), 2),
                     "search_p95_ms": round(percentile(walls[i], .95), 2),
                     "search_cpu_ms": None if total is None else round(total / max(1, rounds), 2),
                     "search_cpu_p50_ms": round(percentile(cpus[i], .5), 2) if cpus[i] else None,
                     "search_cpu_p95_ms": round(percentile(cpus[i], .95), 2) if cpus[i] else None,
                     "search_cpu_ms_postgres": round(server, 2) if server else None})
    return rows


def single_adds(daemon: Any, texts: list[str], user: str = "scale-single") -> float:
    """p50 of single adds of ``texts`` (removed afterwards)."""
    singles = [timed_ms(daemon.client.add, text, user_id=user) for text in texts]
    daemon.client.delete_all(user_id=user)
    return round(percentile(singles, .5), 2)
