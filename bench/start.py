"""Start-up benchmark: how soon a started daemon answers ``ping``, a search, and a write.

One store is filled once (realistic LoCoMo text, see bench/realistic.py); then the
daemon is started ``--starts`` times on it. For each start, measured from the
moment the process is spawned, through the daemon's socket:

* ``ping_s``: ``ping`` answered (the 50 ms readiness poll included);
* ``search_s``: a search sent right after that ping, answered (a distinct question each start);
* ``write_s``: an ``add`` sent right after the search's reply, answered (it waits for mem0);
* ``ready_s``: ``ping`` no longer says ``starting`` (everything loaded);
* ``cpu_at_search_s``: the daemon's CPU seconds when the search was answered.

Each figure is reported per start and as the median, with the machine, date and load.
``--before DIR`` also starts, alternating with this checkout on the same store, the daemon
of another copy of the source (``DIR/sidecar`` and ``DIR/clients``, put first on
``PYTHONPATH``), so both are measured under the same load.

Usage: python bench/start.py [--memories 1000] [--starts 5] [--before DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, load_average, process_cpu_s  # noqa: E402
from realistic import questions, stored_texts  # noqa: E402

from sidecar.testing.daemons import start_daemon  # noqa: E402

USER = "bench"


def fill(home: Path, memories: int, batch: int = 200) -> None:
    """Fill the store on ``home`` once, then stop its daemon."""
    daemon = start_daemon(home)
    try:
        texts = stored_texts(memories)
        for start in range(0, len(texts), batch):
            daemon.client.add([{"role": "user", "content": t} for t in texts[start:start + batch]], user_id=USER)
    finally:
        daemon.stop()


def one_start(home: Path, query: str, n: int, source: Path | None = None) -> dict:
    """Start the daemon on ``home`` once (from ``source`` when given) and time ping, a search, a write and
    full readiness."""
    env = {"PYTHONPATH": f"{source}:{source / 'clients'}"} if source else None
    started = time.perf_counter()
    daemon = start_daemon(home, loaded=False, env=env)
    row: dict = {"ping_s": round(time.perf_counter() - started, 3), "load": load_average()}
    try:
        hits = daemon.client.search(query, filters={"user_id": USER}, top_k=5)["results"]
        row["search_s"] = round(time.perf_counter() - started, 3)
        row["cpu_at_search_s"] = process_cpu_s(daemon.pid)
        row["search_hits"] = len(hits)
        row["state_after_search"] = daemon.client.ping().get("state")
        daemon.client.add(f"start bench write {n}", user_id="bench-start")
        row["write_s"] = round(time.perf_counter() - started, 3)
        daemon.wait_loaded()
        row["ready_s"] = round(time.perf_counter() - started, 3)
    finally:
        daemon.stop()
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None, help="another source tree to compare with")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-start-"))
    os.chdir(home)  # `python -m sidecar` puts its working folder first on sys.path: not a source tree's root
    report: dict = {**header(), "memories": options.memories, "runs": {}}
    fill(home, options.memories)
    variants = {"this": None, **({"before": options.before.resolve()} if options.before else {})}
    asked = iter(questions(options.starts * len(variants) + 1))
    for n in range(options.starts):
        for name, source in variants.items():
            row = {"variant": name, **one_start(home, next(asked), n, source)}
            report["runs"].setdefault(name, []).append(row)
            print(json.dumps(row), flush=True)
    report["load_end"] = load_average()
    print(header_line(report), "| load at the end", report["load_end"])
    for name, rows in report["runs"].items():
        medians = {}
        for key in ("ping_s", "search_s", "write_s", "ready_s", "cpu_at_search_s"):
            values = [row[key] for row in rows if row.get(key) is not None]
            medians[key] = round(statistics.median(values), 3) if values else None
        report[f"median_{name}"] = medians
        print(name, "median of", len(rows), "starts:", " ".join(f"{k}={v}" for k, v in medians.items()))
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
