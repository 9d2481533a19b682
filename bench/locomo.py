"""LoCoMo retrieval through the daemon: ingest every turn, ask every question of categories 1-4.

One user id per conversation, one memory per turn ("Speaker: text", run id = the
session, the session date as metadata), questions asked through the client with
top_k=10. Prints recall@5/@10, session hit@10 and MRR per category and overall,
plus search latency p50/p95. The data (CC BY-NC) is read from its path, never copied.

Usage: python bench/locomo.py [--data ../shared/data/locomo/locomo10_dev.json] [--limit-convs N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402
from retrieval_eval import CATEGORIES, Question, Turn, load_locomo, score_ranking  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "locomo" / "locomo10_dev.json"


def ingest(client, turns: list[Turn]) -> dict[str, str]:
    """Store the turns; returns daemon memory id -> LoCoMo turn id."""
    ids: dict[str, str] = {}
    by_run: dict[tuple[str, int], list[Turn]] = defaultdict(list)
    for turn in turns:
        by_run[(turn.user_id, turn.session)].append(turn)
    for (user, session), run_turns in by_run.items():
        for turn in run_turns:  # one add per turn keeps the previous-turn context exact
            row = client.add(turn.text, user_id=user, run_id=f"s{session}",
                             metadata={"date": turn.date, "turn": turn.memory_id})["results"][0]
            ids[str(row["id"])] = turn.memory_id
    return ids


def ask(client, questions: list[Question], ids: dict[str, str], top_k: int = 10) -> tuple[list, list[float]]:
    rows, latencies = [], []
    for question in questions:
        started = time.perf_counter()
        hits = client.search(question.text, filters={"user_id": question.user_id}, top_k=top_k)["results"]
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [ids.get(str(h["id"]), "") for h in hits]
        rows.append((question.category, score_ranking(ranked, question)))
    return rows, latencies


def summarise(rows: list, latencies: list[float]) -> dict:
    def mean(items: list[dict]) -> dict:
        return {k: round(sum(r[k] for r in items) / len(items), 3) for k in items[0]} if items else {}

    report = {"overall": mean([r for _, r in rows]), "questions": len(rows)}
    for category, name in CATEGORIES.items():
        report[name] = mean([r for c, r in rows if c == category])
    report["search_p50_ms"] = round(percentile(latencies, 0.5), 2)
    report["search_p95_ms"] = round(percentile(latencies, 0.95), 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit-convs", type=int, default=None, help="only the first N conversations")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    turns, questions = load_locomo(options.data)
    if options.limit_convs:
        users = sorted({t.user_id for t in turns})[: options.limit_convs]
        turns = [t for t in turns if t.user_id in users]
        questions = [q for q in questions if q.user_id in users]
    with running_daemon(Path(tempfile.mkdtemp(prefix="locomo-"))) as daemon:
        started = time.perf_counter()
        ids = ingest(daemon.client, turns)
        ingest_s = time.perf_counter() - started
        rows, latencies = ask(daemon.client, questions, ids)
    report = summarise(rows, latencies)
    report.update(turns=len(turns), ingest_s=round(ingest_s, 1), data=str(options.data))
    print(f"LoCoMo through the daemon: {len(turns)} turns, {len(questions)} questions (categories 1-4)")
    print(f"{'':14}{'R@5':>7}{'R@10':>7}{'S@10':>7}{'MRR':>7}")
    for name in ("overall", *CATEGORIES.values()):
        row = report.get(name) or {}
        if row:
            print(f"{name:14}" + "".join(f"{row.get(k, 0):7.3f}" for k in ("recall@5", "recall@10", "session_hit@10", "mrr")))
    print(f"search p50 {report['search_p50_ms']} ms, p95 {report['search_p95_ms']} ms; ingest {report['ingest_s']} s")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
