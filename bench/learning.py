"""Learning from real transcripts, through the daemon: what is stored against gold labels.

For each transcript of the learning set (shared/data/learning/labels.jsonl) a fresh daemon
starts on a private temporary home whose config names one user for that transcript
(``user_id = "<id>"``, the watcher off); the file is ingested through the product path
(the ``ingest`` op with the transcript's agent format, then ``ingest.progress`` until every
job is judged and applied, as ``memctl ingest --wait`` does); everything the user holds is
listed with ``get_all`` and scored by ``learning_score.Matcher`` (MiniLM cosine >= the
threshold, one-to-one assignment for precision; see that module for every rule).

Reported per transcript and overall (micro: totals over all transcripts): recall of gold
facts, recall of importance-3 facts, precision, junk rate, memories per 100 candidates,
wall time and daemon CPU seconds of the ingest (daemon start excluded, shown apart).

Usage: python bench/learning.py [--ids dev-cc-01,dev-aider-02] [--threshold 0.6] [--show] [--json OUT]
       [--config 'extra TOML lines for every daemon']
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, process_cpu_s  # noqa: E402
from learning_score import DEFAULT_THRESHOLD, Matcher, TranscriptScore  # noqa: E402

from sidecar.testing.daemons import private_daemon  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "learning"
AGENT_FORMAT = {"gemini-cli": "gemini"}  # labels' agent name -> the ingest op's format name
INGEST_TIMEOUT_S = 1800.0
MAX_MEMORIES = 100_000


def load_labels(data: Path, ids: list[str] | None) -> list[dict[str, Any]]:
    """The labels.jsonl rows, in file order, limited to ``ids`` (all of them must exist)."""
    rows = [json.loads(line) for line in (data / "labels.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if not ids:
        return rows
    known = {row["id"]: row for row in rows}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise SystemExit(f"unknown transcript id(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[i] for i in ids]


def daemon_config(user: str, extra: str) -> str:
    return f'user_id = "{user}"\n{extra.strip()}\n[watch]\non = false\n' if extra.strip() \
        else f'user_id = "{user}"\n[watch]\non = false\n'


def learn_one(label: dict[str, Any], data: Path, extra_config: str) -> dict[str, Any]:
    """Ingest one transcript in its own daemon; the ingest counts, timings and stored memories."""
    path = (data / label["file"]).resolve()
    agent = AGENT_FORMAT.get(label["agent"], label["agent"])
    started = time.perf_counter()
    with private_daemon(daemon_config(label["id"], extra_config), prefix="lrn-") as daemon:
        start_s = time.perf_counter() - started
        cpu_before = process_cpu_s(daemon.pid)
        began = time.perf_counter()
        result = daemon.client.ingest([str(path)], agent=agent, wait=True, timeout=INGEST_TIMEOUT_S)
        wall_s = time.perf_counter() - began
        cpu_after = process_cpu_s(daemon.pid)
        rows = daemon.client.get_all(filters={"user_id": label["id"]}, top_k=MAX_MEMORIES)["results"]
        judge = daemon.client.call("watch.status")["judge"]
    return {
        "agent": agent, "path": str(path),
        "ingest": {k: result.get(k, 0) for k in ("records", "candidates", "queued", "duplicates", "corrupt",
                                                  "processed", "pending", "failed", "added", "updated",
                                                  "deleted", "none")},
        "memories": [{"id": str(r.get("id")), "memory": str(r.get("memory", "")),
                      "metadata": r.get("metadata") or {}} for r in rows],
        "start_s": round(start_s, 2), "wall_s": round(wall_s, 2),
        "cpu_s": round(cpu_after - cpu_before, 2) if cpu_before is not None and cpu_after is not None else None,
        "judge_p50_ms": judge.get("p50_ms"), "judge_p95_ms": judge.get("p95_ms"),
    }


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 3) if whole else None


def figures(score: TranscriptScore, candidates: int) -> dict[str, Any]:
    """The reported ratios of one transcript (or of the totals)."""
    return {
        "facts": score.facts, "recalled": score.recalled, "recall": ratio(score.recalled, score.facts),
        "facts3": score.facts3, "recalled3": score.recalled3, "recall3": ratio(score.recalled3, score.facts3),
        "stored": score.stored, "matched": score.matched, "precision": ratio(score.matched, score.stored),
        "junk": score.junk, "junk_rate": ratio(score.junk, score.stored), "duplicates": score.duplicates,
        "stale": score.stale, "unmatched": score.stored - score.matched - score.junk - score.duplicates - score.stale,
        "candidates": candidates,
        "per_100_candidates": round(100 * score.stored / candidates, 1) if candidates else None,
    }


def total(scores: list[TranscriptScore]) -> TranscriptScore:
    keys = ("facts", "facts3", "recalled", "recalled3", "stored", "matched", "junk", "duplicates", "stale")
    return TranscriptScore(**{k: sum(getattr(s, k) for s in scores) for k in keys})


def cell(value: Any, width: int, digits: int) -> str:
    if value is None:
        return f"{'-':>{width}}"
    if isinstance(value, (int, float)) and digits:
        return f"{value:>{width}.{digits}f}"
    return f"{value!s:>{width}}"


COLUMNS = (("transcript", 15, 0), ("cand", 6, 0), ("mem", 5, 0), ("mem/100", 8, 1), ("recall", 7, 0),
           ("R imp3", 7, 0), ("prec", 6, 2), ("junk", 6, 2), ("dup", 4, 0), ("stale", 6, 0), ("wall s", 7, 1),
           ("cpu s", 6, 1))


def table_head() -> str:
    return "".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w, _) in enumerate(COLUMNS))


def table_row(name: str, row: dict[str, Any]) -> str:
    values = (row["candidates"], row["stored"], row["per_100_candidates"],
              f"{row['recalled']}/{row['facts']}", f"{row['recalled3']}/{row['facts3']}", row["precision"],
              row["junk_rate"], row["duplicates"], row["stale"], row.get("wall_s"), row.get("cpu_s"))
    return f"{name:<{COLUMNS[0][1]}}" + "".join(cell(value, width, digits)
                                                for (_, width, digits), value in zip(COLUMNS[1:], values))


def show(transcript: str, score: TranscriptScore) -> None:
    print(f"\n== {transcript}: {score.stored} memories")
    for mark in score.marks:
        best = f"  ~ {mark.fact} ({mark.score:.2f})" if mark.fact else ""
        why = f" [{mark.reason}]" if mark.reason else ""
        print(f"  {mark.status:<9} {mark.memory[:140]}{why}{best}")
    for fact in score.missed:
        print(f"  MISSED    {fact}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the learning set folder")
    parser.add_argument("--ids", default="", help="comma-separated transcript ids (default: all)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="cosine for a match")
    parser.add_argument("--config", default="",
                        help="extra TOML for every daemon's config.toml (placed after user_id), e.g. a [gate] table")
    parser.add_argument("--show", action="store_true", help="list every stored memory with its verdict")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    labels = load_labels(options.data, [i.strip() for i in options.ids.split(",") if i.strip()])
    info = header()
    print(f"Learning from transcripts through the daemon ({len(labels)} transcripts, matcher MiniLM cosine "
          f">= {options.threshold})\n{header_line(info)}")
    matcher = Matcher(options.threshold)
    report: dict[str, Any] = {**info, "threshold": options.threshold, "data": str(options.data), "transcripts": []}
    scores, candidates, wall, cpu, starts = [], 0, 0.0, 0.0, []
    print(table_head())
    for label in labels:
        run = learn_one(label, options.data, options.config)
        score = matcher.score([m["memory"] for m in run["memories"]], label)
        row = {"id": label["id"], **figures(score, run["ingest"]["candidates"]), "wall_s": run["wall_s"],
               "cpu_s": run["cpu_s"]}
        print(table_row(label["id"], row), flush=True)
        report["transcripts"].append({**row, "agent": run["agent"], "ingest": run["ingest"],
                                      "daemon_start_s": run["start_s"], "judge_p50_ms": run["judge_p50_ms"],
                                      "judge_p95_ms": run["judge_p95_ms"], "missed": score.missed,
                                      "memories": [{**asdict(mark), "id": m["id"], "metadata": m["metadata"]}
                                                   for mark, m in zip(score.marks, run["memories"])]})
        scores.append(score)
        candidates += run["ingest"]["candidates"]
        wall += run["wall_s"]
        cpu += run["cpu_s"] or 0.0
        starts.append(run["start_s"])
        if options.show:
            show(label["id"], score)
            print()
    overall = {**figures(total(scores), candidates), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
    print(table_row("overall", overall))
    judge_p95 = [t["judge_p95_ms"] for t in report["transcripts"] if t["judge_p95_ms"] is not None]
    overall["judge_p95_ms_max"] = max(judge_p95, default=None)
    print(f"(recall/precision/junk are micro: totals over transcripts; daemon start "
          f"{min(starts, default=0):.1f}-{max(starts, default=0):.1f} s each, not in wall/cpu; "
          f"judge p95 per transcript <= {overall['judge_p95_ms_max']} ms)")
    report["overall"] = overall
    if options.json:
        options.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
