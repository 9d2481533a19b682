"""Context benchmark: ``context`` op latency (p50/p95) and the daemon's CPU per op through a real
daemon, in Direct mode (small MEMORY.md, MD5-cached) and in RAG mode at 10k memories, and the
token cost of the injected long-term block: per memory, with the date-and-origin stamp each
memory carries ("(2026-11-29, session)") and without it (the same block with the stamps cut).

Usage: python bench/context_bench.py [--memories 10000] [--rounds 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402
from corpus import QUERIES, sentences  # noqa: E402

from sidecar.context.tokens import estimate_tokens  # noqa: E402
from sidecar.testing.daemons import running_daemon  # noqa: E402
from sidecar.testing.waiting import wait_until  # noqa: E402

STAMP = re.compile(r" \((?:updated )?\d{4}-\d{2}-\d{2}, [^)]*\)$")


def daemon_cpu_s(pid: int) -> float:
    """User + system CPU seconds the daemon has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def token_cost(client, user: str) -> dict[str, float]:
    """Tokens of the injected block with the stamps and with them cut, per memory line."""
    text = client.call("context", {"query": QUERIES[0], "user_id": user})["text"]
    lines = text.split("\n")
    memories = [line for line in lines if line.lstrip().startswith("- ")]
    undated = "\n".join(STAMP.sub("", line) for line in lines)
    dated_tokens, undated_tokens = estimate_tokens(text), estimate_tokens(undated)
    count = max(1, len(memories))
    return {"memories": len(memories), "stamped": sum(1 for m in memories if STAMP.search(m)),
            "block_tokens": dated_tokens, "block_tokens_undated": undated_tokens,
            "tokens_per_memory": round(dated_tokens / count, 1),
            "tokens_per_memory_undated": round(undated_tokens / count, 1),
            "stamp_tokens_per_memory": round((dated_tokens - undated_tokens) / count, 1)}


def context_latencies(client, user: str, rounds: int, expected_mode: str, session: str,
                      cpu: list[float] | None = None, pid: int | None = None) -> list[float]:
    out = []
    cpu_before = daemon_cpu_s(pid) if pid else 0.0
    for index in range(rounds):
        started = time.perf_counter()
        result = client.call("context", {"query": QUERIES[index % len(QUERIES)], "user_id": user,
                                         "session_id": session})
        out.append((time.perf_counter() - started) * 1000)
        if result["mode"] != expected_mode:
            raise RuntimeError(f"expected {expected_mode} mode, got {result['mode']}")
    if cpu is not None and pid:
        cpu.append((daemon_cpu_s(pid) - cpu_before) * 1000 / max(1, rounds))
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
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
                    "load_before": [round(v, 2) for v in os.getloadavg()]}
    try:
        with running_daemon(home) as daemon:
            client = daemon.client
            session = [{"role": "user", "content": f"Earlier turn {n}: {text}"} for n, text in enumerate(corpus[:10])]
            client.call("session.update", {"session_id": "bench", "messages": session})

            client.add([{"role": "user", "content": t} for t in corpus[:options.direct_memories]], user_id="direct")
            wait_for_mode(client, "direct", "direct")
            before = client.status()["context"]
            cpu: list[float] = []
            report["direct"] = summary(context_latencies(client, "direct", options.rounds, "direct", "bench",
                                                         cpu, daemon.pid))
            report["direct"]["daemon_cpu_ms_per_op"] = round(cpu[-1], 2)
            report["direct"]["tokens"] = token_cost(client, "direct")
            after = client.status()["context"]
            report["direct"]["cache_hits"] = after["cache_hits"] - before["cache_hits"]
            report["direct"]["cache_misses"] = after["cache_misses"] - before["cache_misses"]

            started = time.perf_counter()
            rest = corpus[options.direct_memories:]
            for start in range(0, len(rest), 250):
                client.add([{"role": "user", "content": t} for t in rest[start:start + 250]], user_id="rag")
            report["fill_seconds"] = round(time.perf_counter() - started, 1)
            wait_for_mode(client, "rag", "rag")
            report["rag"] = summary(context_latencies(client, "rag", options.rounds, "rag", "bench", cpu, daemon.pid))
            report["rag"]["daemon_cpu_ms_per_op"] = round(cpu[-1], 2)
            report["rag"]["tokens"] = token_cost(client, "rag")
            report["rag"]["memories"] = len(rest)
            report["memories_total"] = client.status()["memories"]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report["load_after"] = [round(v, 2) for v in os.getloadavg()]
    print(f"{'mode':<8}{'memories':>10}{'p50 ms':>10}{'p95 ms':>10}{'cpu ms/op':>11}{'rounds':>8}"
          f"{'tok/mem':>9}{'undated':>9}{'block tok':>11}{'undated':>9}")
    for mode, count in (("direct", options.direct_memories), ("rag", report["rag"]["memories"])):
        row, tokens = report[mode], report[mode]["tokens"]
        print(f"{mode:<8}{count:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['daemon_cpu_ms_per_op']:>11}"
              f"{row['rounds']:>8}{tokens['tokens_per_memory']:>9}{tokens['tokens_per_memory_undated']:>9}"
              f"{tokens['block_tokens']:>11}{tokens['block_tokens_undated']:>9}")
    print(f"direct cache: {report['direct']['cache_hits']} hits, {report['direct']['cache_misses']} misses; "
          f"fill {report['fill_seconds']} s")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
