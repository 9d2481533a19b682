"""Fairness: another user's search while one user pipelines 1,000 add(infer=True), through a running daemon.

Phases, on one daemon (a fresh one in a temp home unless ``--home`` names a running one's
``SIDECAR_HOME``):

1. idle: ``--searches`` sequential searches by the reader, ``--pause-ms`` apart (a user's
   pace, not a loop: a loop would make the reader a CPU hog of its own); p50/p95 wall time;
2. burst: a writer sends ``--burst`` add(infer=True) for its own user at once on one
   connection (the daemon's per-scope queue answers the excess ``busy``; the writer resends
   one of those each time one of its writes finishes), while the reader keeps searching until
   the burst is done.

Prints machine/date/load, wall and CPU per op (daemon CPU from /proc), idle vs burst
search p50/p95, and the busy counts. Targets: burst search p95 <= 3x idle, 0 reads busy.

Usage: python bench/fairness.py [--burst 1000] [--searches 50] [--home DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import msgpack
import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, load_average, percentile, process_cpu_s  # noqa: E402
from corpus import sentences  # noqa: E402

from sidecar.testing.daemons import running_daemon, write_config  # noqa: E402
from sidecar_client.client import Client  # noqa: E402
from sidecar_shared.errors import Busy  # noqa: E402
from sidecar_shared.paths import HOME_ENV, app_paths  # noqa: E402

READER, WRITER = "fair-reader", "fair-writer"
QUERIES = ["what do I grow on the balcony?", "where did I travel last year?", "what is my favourite tea?"]


def searches_until(client: Client, stop: threading.Event | None, count: int,
                   pause_s: float) -> tuple[list[float], int, int]:
    """Search sequentially, ``pause_s`` apart (``count`` times, or until ``stop``); (latencies ms, busy, errors)."""
    latencies, busy, errors, n = [], 0, 0, 0
    while (stop is None and n < count) or (stop is not None and not stop.wait(pause_s if n else 0)):
        started = time.perf_counter()
        try:
            client.search(QUERIES[n % len(QUERIES)], filters={"user_id": READER}, top_k=5)
            latencies.append((time.perf_counter() - started) * 1000)
        except Busy:
            busy += 1
        except Exception:  # counted: what this benchmark reports
            errors += 1
        n += 1
        if stop is None and pause_s:
            time.sleep(pause_s)
    return latencies, busy, errors


def burst(endpoint: str, texts: list[str]) -> dict:
    """Pipeline one add(infer=True) per text; resend the ones refused busy until all are done."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(endpoint)
    frames = {f"burst-{n}": msgpack.packb({"v": 1, "id": f"burst-{n}", "op": "add", "args": {
        "messages": text, "user_id": WRITER, "infer": True}}) for n, text in enumerate(texts)}
    for frame in frames.values():
        sock.send(frame)
    outstanding, busy, errors = set(frames), 0, 0
    refused: list[str] = []  # resent one per finished write: the queue has room again
    while outstanding:
        if not sock.poll(1000):
            continue
        reply = msgpack.unpackb(sock.recv(), raw=False)
        code = "ok" if reply["ok"] else reply["error"]["code"]
        if code == "busy":
            busy += 1
            refused.append(reply["id"])
            continue
        errors += code != "ok"
        outstanding.discard(reply["id"])
        if refused:
            sock.send(frames[refused.pop(0)])
    sock.close()
    return {"writes": len(texts), "write_busy_refusals": busy, "write_errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=200, help="idle searches (p95 of 50 is the 3rd worst: noisy)")
    parser.add_argument("--pause-ms", type=float, default=50.0,
                        help="the reader's pause between two searches, idle and during the burst (0: back to back)")
    parser.add_argument("--home", type=Path, help="SIDECAR_HOME of a running daemon (default: start a fresh one)")
    parser.add_argument("--config", default="", help="config.toml text for the fresh daemon, e.g. '[daemon]\\nworkers = 2'")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    info = header()
    print(header_line(info))
    if options.home:
        paths, context = app_paths({HOME_ENV: str(options.home)}), nullcontext(None)
    else:
        home = Path(tempfile.mkdtemp(prefix="bfair-", dir="/tmp"))
        atexit.register(shutil.rmtree, home, True)  # a fresh daemon's home, of no use once the run is over
        write_config(home, options.config.replace("\\n", "\n"))
        context, paths = running_daemon(home), app_paths({HOME_ENV: str(home)})
    with context:
        client = Client(paths, timeout=600)
        pid = client.status()["pid"]
        client.add([{"role": "user", "content": text} for text in sentences(30, seed=3)], user_id=READER)
        pause = options.pause_ms / 1000
        searches_until(client, None, 5, 0)  # warm-up

        cpu0, wall0 = process_cpu_s(pid), time.perf_counter()
        idle, idle_busy, idle_errors = searches_until(client, None, options.searches, pause)
        idle_cpu = process_cpu_s(pid) - cpu0

        stop = threading.Event()
        during: dict = {}
        reader = threading.Thread(target=lambda: during.update(zip(("lat", "busy", "errors"),
                                                                   searches_until(client, stop, 0, pause))))
        texts = [f"{text} (note {n})" for n, text in enumerate(sentences(options.burst, seed=11))]
        cpu0, wall0 = process_cpu_s(pid), time.perf_counter()
        reader.start()
        writes = burst(paths.endpoint, texts)
        stop.set()
        reader.join()
        burst_cpu, burst_wall = process_cpu_s(pid) - cpu0, time.perf_counter() - wall0
        load_after = load_average()
        # the same searches once the burst is over: what the writer's 1,000 new rows cost a search by themselves
        after, _, _ = searches_until(client, None, options.searches, pause)
        lanes = client.status()["lanes"]
        client.close()

    idle_p95, burst_p95 = percentile(idle, 0.95), percentile(during["lat"], 0.95)
    result = {
        **info,
        "idle": {"searches": len(idle), "p50_ms": round(percentile(idle, 0.5), 1), "p95_ms": round(idle_p95, 1),
                 "busy": idle_busy, "errors": idle_errors,
                 "daemon_cpu_ms_per_search": round(idle_cpu * 1000 / max(1, len(idle)), 1),
                 "wall_ms_per_search": round(sum(idle) / max(1, len(idle)), 1)},
        "burst": {"searches": len(during["lat"]), "p50_ms": round(percentile(during["lat"], 0.5), 1),
                  "p95_ms": round(burst_p95, 1), "reads_busy": during["busy"], "read_errors": during["errors"],
                  **writes, "wall_s": round(burst_wall, 1),
                  "wall_ms_per_add": round(burst_wall * 1000 / max(1, options.burst), 1),
                  "daemon_cpu_ms_per_add": round(burst_cpu * 1000 / max(1, options.burst), 1)},
        "after": {"searches": len(after), "p50_ms": round(percentile(after, 0.5), 1),
                  "p95_ms": round(percentile(after, 0.95), 1)},
        "p95_ratio": round(burst_p95 / idle_p95, 2) if idle_p95 else None,
        "p50_ratio": round(percentile(during["lat"], 0.5) / percentile(idle, 0.5), 2) if idle else None,
        "load_after": load_after,
        "lanes": lanes,
    }
    b = result["burst"]
    print(f"idle  search: n={len(idle)} p50 {result['idle']['p50_ms']} ms  p95 {idle_p95:.1f} ms  "
          f"(daemon CPU {result['idle']['daemon_cpu_ms_per_search']} ms/search, wall "
          f"{result['idle']['wall_ms_per_search']} ms/search)")
    print(f"burst search: n={b['searches']} p50 {b['p50_ms']} ms  p95 {b['p95_ms']} ms  -> p95 ratio "
          f"{result['p95_ratio']} (target <= 3)  reads busy {b['reads_busy']} (target 0), errors {b['read_errors']}")
    print(f"burst writes: {b['writes']} add(infer=True) in {b['wall_s']} s ({b['wall_ms_per_add']} ms/add wall, "
          f"{b['daemon_cpu_ms_per_add']} ms/add daemon CPU incl. the searches); busy refusals resent: "
          f"{b['write_busy_refusals']}, errors {b['write_errors']}")
    print(f"after search: n={len(after)} p50 {result['after']['p50_ms']} ms  p95 {result['after']['p95_ms']} ms "
          "(no writes; the store now holds the burst's rows)")
    print(f"load at the end: {load_after}; write checkpoints that let reads go first: "
          f"{lanes.get('write_pauses_for_reads', 'n/a')}")
    if options.json:
        options.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
