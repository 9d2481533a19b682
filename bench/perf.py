"""Measurements shared by bench/foundation.py and bench/scale.py: searches timed through the daemon and in plain mem0.

Every figure is wall time per op next to the CPU the daemon (or the mem0
process) spent on it, taken from /proc, so a loaded machine shows up as wall
time far above CPU time instead of as a slower daemon.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from common import percentile, process_cpu_s

BENCH_DIR = Path(__file__).resolve().parent
# Plain mem0 on the same store, with the same embedded model plugged into mem0 (its documented hook),
# so the two differ only in the search path. Per query: wall ms and process CPU ms.
PLAIN_MEM0 = """
import json, sys, time
import sidecar.process.offline; sidecar.process.offline.apply()
from sidecar.config.settings import load_settings
from sidecar.store.embedder import build_embedded
from sidecar.store.mem0_build import build_memory
from sidecar.store.mem0_config import build_mem0_config
settings = load_settings()
config, choice = build_mem0_config(settings)
memory = build_memory(config, build_embedded(choice.name, threads=settings.embedder_threads))
queries = json.loads(sys.stdin.read())
memory.search(queries[0], filters={"user_id": USER}, top_k=TOP_K)
out = []
for q in queries[1:]:
    w, c = time.perf_counter(), time.process_time()
    memory.search(q, filters={"user_id": USER}, top_k=TOP_K)
    out.append(((time.perf_counter() - w) * 1000, (time.process_time() - c) * 1000))
print(json.dumps(out))
"""


def summary(wall_ms: list[float], cpu_ms_total: float | None) -> dict:
    """p50/p95 wall and mean CPU per op."""
    n = max(1, len(wall_ms))
    return {"n": len(wall_ms), "p50_ms": round(percentile(wall_ms, .5), 2),
            "p95_ms": round(percentile(wall_ms, .95), 2),
            "cpu_ms_per_op": None if cpu_ms_total is None else round(cpu_ms_total / n, 2)}


def daemon_searches(client, pid: int, queries: list[str], user: str, top_k: int = 5) -> dict:
    """Each query once through the daemon (the first is a warm-up, not counted)."""
    client.search(queries[0], filters={"user_id": user}, top_k=top_k)
    walls = []
    cpu_before = process_cpu_s(pid)
    for query in queries[1:]:
        started = time.perf_counter()
        client.search(query, filters={"user_id": user}, top_k=top_k)
        walls.append((time.perf_counter() - started) * 1000)
    cpu_after = process_cpu_s(pid)
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000
    return summary(walls, cpu)


def plain_mem0_searches(env: dict[str, str], queries: list[str], user: str, top_k: int = 5) -> dict:
    """The same queries through mem0's ``Memory.search`` in one process on the same store (daemon stopped)."""
    script = PLAIN_MEM0.replace("USER", repr(user)).replace("TOP_K", str(top_k))
    result = subprocess.run([sys.executable, "-c", script], env=env, input=json.dumps(queries), check=True,
                            capture_output=True, text=True)
    pairs = json.loads(result.stdout.strip().splitlines()[-1])
    return summary([w for w, _ in pairs], sum(c for _, c in pairs))


def timed_fill(client, pid: int, texts: list[str], user: str, batch: int) -> dict:
    """Batched ``add(infer=False)`` of ``texts``: memories per second and daemon CPU per memory."""
    cpu_before = process_cpu_s(pid)
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        client.add([{"role": "user", "content": t} for t in texts[start:start + batch]], user_id=user)
    wall = time.perf_counter() - started
    cpu_after = process_cpu_s(pid)
    n = max(1, len(texts))
    return {"memories": len(texts), "per_s": round(len(texts) / wall, 1) if wall else None,
            "cpu_ms_per_memory": None if cpu_before is None or cpu_after is None
            else round((cpu_after - cpu_before) * 1000 / n, 2)}


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
