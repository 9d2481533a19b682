"""LoCoMo retrieval (verbatim turns) on both store backends: embedded and PostgreSQL + pgvector.

The loop of bench/locomo.py (``ingest``, ``ask``, ``summarise``), run once per backend
with the same turns and questions; the PostgreSQL is a pgserver one in a temp folder.
Target (issue 12): turn recall@10 on pgvector within 0.02 of embedded.

Usage: python bench/locomo_pg.py [--conversations N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line  # noqa: E402
from locomo import DEFAULT_DATA, ask, ingest, summarise  # noqa: E402
from retrieval_eval import load_locomo  # noqa: E402

from sidecar.testing.daemons import running_daemon, write_config  # noqa: E402
from sidecar.testing.pg_server import pgvector_config, start_pg_server  # noqa: E402


def run(backend: str, turns: list, questions: list) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"locomo-{backend[:2]}-"))
    server = start_pg_server() if backend == "pgvector" else None
    if server is not None:
        write_config(home, pgvector_config(server.new_database("locomo")))
    try:
        with running_daemon(home) as daemon:
            ids = ingest(daemon.client, turns)
            rows, latencies = ask(daemon.client, questions, ids)
    finally:
        if server is not None:
            server.stop()
    return summarise(rows, latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--conversations", type=int, default=None, help="only the first N conversations")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    turns, questions = load_locomo(options.data)
    if options.conversations:
        users = sorted({t.user_id for t in turns})[: options.conversations]
        turns = [t for t in turns if t.user_id in users]
        questions = [q for q in questions if q.user_id in users]
    info = header()
    print(f"LoCoMo verbatim on both backends: {len(turns)} turns, {len(questions)} questions\n{header_line(info)}")
    reports = {backend: run(backend, turns, questions) for backend in ("embedded", "pgvector")}
    for backend, report in reports.items():
        print(f"{backend:>9}: {json.dumps(report['overall'])}  search p50 {report['search_p50_ms']} ms, "
              f"p95 {report['search_p95_ms']} ms")
    first = next(iter(reports["embedded"]["overall"]), None)
    if first:
        for key in reports["embedded"]["overall"]:
            delta = reports["pgvector"]["overall"][key] - reports["embedded"]["overall"][key]
            print(f"  {key}: pgvector - embedded = {delta:+.3f}")
    if options.json:
        options.json.write_text(json.dumps({**info, "turns": len(turns), "questions": len(questions),
                                            "backends": reports}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
