"""LoCoMo retrieval through the daemon: store the turns (verbatim or learned), ask every question of categories 1-4.

One user id per conversation, run id = the session, the session date and the turn id as
metadata, questions asked through the client with top_k=10. Two ways to store the turns:

* ``verbatim`` (default): one memory per turn, ``add(infer=False)`` of "Speaker: text";
* ``learn``: each turn through the write gate, ``add(infer=True)`` of one message
  ``{"role": "user", "name": speaker, "content": text}`` (``--speaker name``) or of the
  text "Speaker: text" (``--speaker prefix``). A learned memory counts for every turn whose
  add created or updated it (from the add results; the ``turn`` metadata the product keeps
  otherwise), so its rank is the rank of those turns.

Prints recall@5/@10 of the gold turns, session hit@10 and MRR per category and overall
(``--mode both``: both modes side by side, each in its own daemon), search latency, and for
the learn path the memories per turn, how many memories name a speaker, and the daemon's
wall and CPU time per turn. The data (CC BY-NC) is read from its path, never copied.

``--backend pgvector`` stores into PostgreSQL + pgvector (a pgserver one in a temp folder, one
database per run), ``--backend both`` runs embedded and pgvector on the same turns and prints
the difference (issue 12's target: turn recall@10 on pgvector within 0.02 of embedded).

Usage: python bench/locomo.py [--data ../shared/data/locomo/locomo10_dev.json] [--conversations N]
       [--mode verbatim|learn|both] [--speaker name|prefix] [--backend embedded|pgvector|both] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, percentile, process_cpu_s  # noqa: E402
from retrieval_eval import CATEGORIES, Question, Turn, load_locomo  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "locomo" / "locomo10_dev.json"
METRICS = ("recall@5", "recall@10", "session_hit@10", "mrr")


def ingest(client, turns: list[Turn]) -> dict[str, set[str]]:
    """Store the turns verbatim; returns daemon memory id -> {LoCoMo turn id}."""
    ids: dict[str, set[str]] = {}
    for turn in turns:  # one add per turn keeps the previous-turn context exact
        row = client.add(turn.text, user_id=turn.user_id, run_id=f"s{turn.session}",
                         metadata={"date": turn.date, "turn": turn.memory_id})["results"][0]
        ids[str(row["id"])] = {turn.memory_id}
    return ids


def learn_message(turn: Turn, speaker_mode: str) -> list[dict[str, str]]:
    """The one message ``add(infer=True)`` gets for ``turn``."""
    speaker, _, said = turn.text.partition(": ")
    if speaker_mode == "prefix":
        return [{"role": "user", "content": turn.text}]
    return [{"role": "user", "name": speaker, "content": said}]


def learn(client, turns: list[Turn], speaker_mode: str) -> tuple[dict[str, set[str]], list[float]]:
    """Send each turn through the write gate; memory id -> the turns that added or updated it, add times."""
    ids: dict[str, set[str]] = defaultdict(set)
    times = []
    for turn in turns:
        started = time.perf_counter()
        reply = client.add(learn_message(turn, speaker_mode), user_id=turn.user_id, run_id=f"s{turn.session}",
                           metadata={"date": turn.date, "turn": turn.memory_id}, infer=True)
        times.append((time.perf_counter() - started) * 1000)
        for row in reply.get("results", []):
            if row.get("event") in ("ADD", "UPDATE") and row.get("id"):
                ids[str(row["id"])].add(turn.memory_id)
    return dict(ids), times


def score(ranked: list[set[str]], q: Question) -> dict[str, float]:
    """Turn recall@5/@10 and session hit@10 over the turns of the top memories; MRR of the first
    memory holding a gold turn. With one turn per memory this is retrieval_eval.score_ranking."""
    session = lambda m: int(m.rsplit(":", 1)[0].rsplit("D", 1)[1])  # noqa: E731
    top5 = set().union(*ranked[:5])
    top10 = set().union(*ranked[:10])
    first = next((rank for rank, turns in enumerate(ranked, 1) if turns & q.gold_turns), None)
    return {"recall@5": len(q.gold_turns & top5) / len(q.gold_turns),
            "recall@10": len(q.gold_turns & top10) / len(q.gold_turns),
            "session_hit@10": float(any(session(m) in q.gold_sessions for m in top10)),
            "mrr": 1.0 / first if first else 0.0}


def ask(client, questions: list[Question], ids: dict[str, set[str]], top_k: int = 10) -> tuple[list, list[float]]:
    rows, latencies = [], []
    for question in questions:
        started = time.perf_counter()
        hits = client.search(question.text, filters={"user_id": question.user_id}, top_k=top_k)["results"]
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = []
        for hit in hits:
            turns = ids.get(str(hit["id"]))
            if turns is None:  # not seen in an add reply: the product's own turn metadata
                turn = (hit.get("metadata") or {}).get("turn")
                turns = {turn} if isinstance(turn, str) else set()
            ranked.append(turns)
        rows.append((question.category, score(ranked, question)))
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


def stored_memories(client, users: list[str]) -> list[dict]:
    return [row for user in users for row in client.get_all(filters={"user_id": user}, top_k=100_000)["results"]]


def daemon_home(backend: str, server) -> Path:
    """A fresh daemon home; on ``pgvector`` its config names a new database of ``server``."""
    home = Path(tempfile.mkdtemp(prefix="locomo-"))
    if backend == "pgvector":
        from sidecar.testing.daemons import write_config
        from sidecar.testing.pg_server import pgvector_config

        write_config(home, pgvector_config(server.new_database("locomo")))
    return home


def run_mode(mode: str, turns: list[Turn], questions: list[Question], speaker_mode: str,
             speakers: set[str], backend: str = "embedded", server=None) -> dict:
    """One daemon: store the turns the ``mode`` way, ask the questions; the summary with ingest figures."""
    users = sorted({t.user_id for t in turns})
    home = daemon_home(backend, server)
    try:
        report, memories, ids, add_ms = _measure(mode, turns, questions, speaker_mode, users, home, backend)
    finally:
        shutil.rmtree(home, ignore_errors=True)  # a fresh home per run: nothing of it is kept
    if mode == "learn":
        live = [m for m in memories if str(m.get("id")) in ids]
        named = sum(any(s.lower() in str(m.get("memory", "")).lower() for s in speakers) for m in memories)
        report.update(speaker=speaker_mode, add_p50_ms=round(percentile(add_ms, 0.5), 1),
                      add_p95_ms=round(percentile(add_ms, 0.95), 1),
                      memories_naming_a_speaker=named,
                      turns_per_memory=(round(sum(len(ids[str(m["id"])]) for m in live) / len(live), 3)
                                        if live else None),
                      sample=[str(m.get("memory", "")) for m in memories[:15]])
    return report


def _measure(mode: str, turns: list[Turn], questions: list[Question], speaker_mode: str, users: list[str],
             home: Path, backend: str) -> tuple[dict, list[dict], dict[str, set[str]], list[float]]:
    """Run one daemon on ``home``: ingest or learn the turns, ask the questions; (summary, stored memories,
    memory id -> turns, add times)."""
    with running_daemon(home) as daemon:
        cpu_before = process_cpu_s(daemon.pid)
        started = time.perf_counter()
        if mode == "learn":
            ids, add_ms = learn(daemon.client, turns, speaker_mode)
        else:
            ids, add_ms = ingest(daemon.client, turns), []
        ingest_s = time.perf_counter() - started
        cpu_after = process_cpu_s(daemon.pid)
        rows, latencies = ask(daemon.client, questions, ids)
        memories = stored_memories(daemon.client, users)
    report = summarise(rows, latencies)
    cpu = round(cpu_after - cpu_before, 1) if cpu_before is not None and cpu_after is not None else None
    report.update(mode=mode, backend=backend, turns=len(turns), memories=len(memories),
                  memories_per_turn=round(len(memories) / len(turns), 3) if turns else None,
                  ingest_s=round(ingest_s, 1), ingest_cpu_s=cpu,
                  ingest_ms_per_turn=round(1000 * ingest_s / len(turns), 2) if turns else None,
                  ingest_cpu_ms_per_turn=round(1000 * cpu / len(turns), 2) if cpu is not None and turns else None)
    return report, memories, ids, add_ms


def speakers_of(path: Path, users: set[str]) -> set[str]:
    names = set()
    for index, sample in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        if str(sample.get("sample_id") or f"conv-{index}") in users:
            conv = sample["conversation"]
            names.update(str(conv[k]) for k in ("speaker_a", "speaker_b") if conv.get(k))
    return names


def print_table(reports: dict[str, dict]) -> None:
    modes = list(reports)
    block = 7 * len(METRICS) + 3
    print(f"{'':14}" + "".join(f"{mode:^{block}}" for mode in modes))
    print(f"{'':14}" + "".join(f"{'R@5':>7}{'R@10':>7}{'S@10':>7}{'MRR':>7}   " for _ in modes))
    for name in ("overall", *CATEGORIES.values()):
        if any(reports[mode].get(name) for mode in modes):
            print(f"{name:14}" + "".join("".join(f"{(reports[mode].get(name) or {}).get(k, 0):7.3f}" for k in METRICS)
                                         + "   " for mode in modes))
    for mode, report in reports.items():
        line = (f"{mode}: {report['memories']} memories for {report['turns']} turns "
                f"({report['memories_per_turn']} per turn); ingest {report['ingest_s']} s, "
                f"{report['ingest_ms_per_turn']} ms and {report['ingest_cpu_ms_per_turn']} ms daemon CPU per turn; "
                f"search p50 {report['search_p50_ms']} ms, p95 {report['search_p95_ms']} ms")
        if report["mode"] == "learn":
            line += (f"\n  add(infer=True) p50 {report['add_p50_ms']} ms, p95 {report['add_p95_ms']} ms; "
                     f"speaker as {report['speaker']}: {report['memories_naming_a_speaker']} memories name a speaker; "
                     f"{report['turns_per_memory']} turns per memory")
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--conversations", "--limit-convs", dest="conversations", type=int, default=None,
                        help="only the first N conversations (by sample id)")
    parser.add_argument("--mode", choices=("verbatim", "learn", "both"), default="verbatim")
    parser.add_argument("--speaker", choices=("name", "prefix"), default="name",
                        help="learn mode: speaker as the message's name, or as a 'Speaker: ' prefix of the text")
    parser.add_argument("--backend", choices=("embedded", "pgvector", "both"), default="embedded",
                        help="store backend; pgvector starts a pgserver PostgreSQL in a temp folder")
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args(argv)
    turns, questions = load_locomo(options.data)
    if options.conversations:
        users = sorted({t.user_id for t in turns})[: options.conversations]
        turns = [t for t in turns if t.user_id in users]
        questions = [q for q in questions if q.user_id in users]
    info = header()
    print(f"LoCoMo through the daemon: {len(turns)} turns, {len(questions)} questions (categories 1-4), "
          f"top_k=10\n{header_line(info)}")
    speakers = speakers_of(options.data, {t.user_id for t in turns})
    modes = ("verbatim", "learn") if options.mode == "both" else (options.mode,)
    backends = ("embedded", "pgvector") if options.backend == "both" else (options.backend,)
    server = None
    if "pgvector" in backends:
        from sidecar.testing.pg_server import start_pg_server

        server = start_pg_server()
    try:
        reports = {(mode if len(backends) == 1 else f"{mode}/{backend}"):
                   run_mode(mode, turns, questions, options.speaker, speakers, backend, server)
                   for mode in modes for backend in backends}
    finally:
        if server is not None:
            server.stop()
    print_table(reports)
    if len(backends) == 2:
        for mode in modes:
            embedded, pg = reports[f"{mode}/embedded"], reports[f"{mode}/pgvector"]
            print(f"{mode} pgvector - embedded: " + ", ".join(
                f"{key} {pg['overall'][key] - embedded['overall'][key]:+.3f}" for key in METRICS))
    if options.json:
        out = {**info, "data": str(options.data), "turns": len(turns), "questions": len(questions),
               "backends": list(backends), "modes": reports}
        options.json.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
