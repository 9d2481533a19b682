"""Wording of the embedded judge's facts: closeness to the gold facts, garbled words, latency.

On a labelled gate set (default: the shared gate_dev.jsonl) it reports, for the
items whose gold decision is memorize=true and for which the judge produced
facts, the mean MiniLM cosine between each gold fact and the closest produced
fact (and the reverse); the number of produced facts holding a garbled word (a
word that is neither in the utterance, nor one the rewriter may add, nor in
an English word list: "Genuinelies", "justs"); and the judge's latency
per candidate, wall and CPU. ``--from-json`` scores the facts of a saved
``bench/judge_eval.py --json`` run instead (how the "before" figures were taken).
``--no-rewrite`` runs the judge without the parser, for its time alone.
``--locomo`` also rewrites every sentence of the LoCoMo dev conversations with
its speaker's name, as a stress test for garbling.

This runs the judge in-process, not through the daemon: it measures the
judge's own text and time, which the daemon adds nothing to.

    python bench/fact_quality.py [--data PATH] [--from-json RUN.json] [--locomo [PATH]] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import sidecar.process.offline

sidecar.process.offline.apply()

import numpy as np  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parent))  # appended: bench/ must not shadow the standard library
from common import load_average, machine, now, percentile  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared" / "data"
DEFAULT_DATA = SHARED / "judge" / "gate_dev.jsonl"
DEFAULT_LOCOMO = SHARED / "locomo" / "locomo10_dev.json"
# an English word list (Debian's wamerican: apt-get install wamerican), else MiniLM's 30k wordpieces
WORD_LISTS = (Path("/usr/share/dict/words"), PROJECT_ROOT / "sidecar" / "store" / "model_files" / "vocab.txt")
# words the rewriter itself may write: agreement forms, the renamed subjects
ADDED_WORDS = frozenset({
    "is", "are", "was", "were", "has", "have", "had", "does", "not", "will", "would", "can", "cannot",
    "shall", "team", "others", "and", "their", "name", "s", "themselves",
})
_WORD = re.compile(r"[A-Za-z]+")
_NOT = re.compile(r"n't\b")


def garbled_words(fact: str, utterance: str, vocabulary: set[str]) -> list[str]:
    """Words of ``fact`` that come from nowhere: not in the utterance, not added on purpose, not English."""
    fact, utterance = (_NOT.sub(" not", t.replace("’", "'")) for t in (fact, utterance))
    source = {w.lower() for w in _WORD.findall(utterance)}
    return [w for w in _WORD.findall(fact)
            if w.lower() not in source and w.lower() not in ADDED_WORDS and w.lower() not in vocabulary]


def cosine_scores(embedder, pairs: list[tuple[list[str], list[str]]]) -> tuple[list[float], list[float]]:
    """(gold -> best produced, produced -> best gold) cosines over all (gold, produced) pairs."""
    texts = sorted({t for gold, produced in pairs for t in gold + produced})
    vectors = embedder.embed(texts)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {t: vectors[i] for i, t in enumerate(texts)}
    recall, precision = [], []
    for gold, produced in pairs:
        sims = np.array([[float(index[g] @ index[p]) for p in produced] for g in gold])
        recall += list(sims.max(axis=1))
        precision += list(sims.max(axis=0))
    return recall, precision


def _no_parser():
    raise ImportError("parser left out for this run (--no-rewrite)")


def run_judge(items: list[dict], *, rewrite: bool = True) -> tuple[dict[str, list[str]], list[float], list[float], float]:
    """Facts per item id, wall and CPU milliseconds per item, and the setup seconds."""
    from sidecar.learn.judge.embedded_judge import EmbeddedJudge
    from sidecar.learn.judge.standalone import StandaloneRewriter, load_english
    from sidecar.store.embedder import MiniLMEmbedder

    started = time.perf_counter()
    judge = EmbeddedJudge(MiniLMEmbedder(), rewriter=StandaloneRewriter(load_english if rewrite else _no_parser))
    judge.judge("I'm allergic to penicillin.")  # loads the parser once, as the daemon's first candidate does
    setup = time.perf_counter() - started
    facts, wall, cpu = {}, [], []
    for item in items:
        w0, c0 = time.perf_counter(), time.process_time()
        verdict = judge.judge(item["text"], role=item["role"], context=item.get("context", ""))
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        facts[item["id"]] = list(verdict.facts)
    return facts, wall, cpu, setup


def locomo_stress(path: Path, vocabulary: set[str], limit: int) -> dict:
    """Rewrite LoCoMo sentences with their speaker; count garbled and rewritten ones."""
    from sidecar.learn.judge.facts import split_sentences
    from sidecar.learn.judge.fact_text import trim
    from sidecar.learn.judge.standalone import StandaloneRewriter

    rewriter = StandaloneRewriter()
    rewriter.warm()
    sentences = []
    for sample in json.loads(path.read_text(encoding="utf-8")):
        conversation = sample["conversation"]
        for key, turns in conversation.items():
            if key.startswith("session_") and isinstance(turns, list):
                sentences += [(t["speaker"], s) for t in turns for s in split_sentences(t.get("text", ""))]
    sentences = sentences[:limit]
    garbled, rewritten, wall = [], 0, []
    for speaker, sentence in sentences:
        started = time.perf_counter()
        fact = rewriter.rewrite(sentence, speaker=speaker)
        wall.append((time.perf_counter() - started) * 1000)
        rewritten += fact != trim(sentence)
        bad = garbled_words(fact, f"{speaker} {sentence}", vocabulary)
        if bad:
            garbled.append({"sentence": sentence, "fact": fact, "words": bad})
    return {"sentences": len(sentences), "rewritten": rewritten, "garbled": garbled,
            "p50_ms": percentile(wall, 0.5), "p95_ms": percentile(wall, 0.95)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--from-json", type=Path, default=None, help="score the facts of a judge_eval.py --json run")
    parser.add_argument("--locomo", type=Path, nargs="?", const=DEFAULT_LOCOMO, default=None)
    parser.add_argument("--locomo-limit", type=int, default=4000)
    parser.add_argument("--no-rewrite", action="store_true",
                        help="judge without the parser (facts kept as said): the judge's time without rewriting")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from sidecar.store.embedder import MiniLMEmbedder

    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    word_list = next(path for path in WORD_LISTS if path.is_file())
    vocabulary = {line.strip().lower() for line in word_list.read_text(encoding="utf-8").splitlines()
                  if line.strip().isalpha()}
    report: dict = {"date": now(), "machine": machine(), "load_before": load_average(), "word_list": str(word_list)}
    if args.from_json:
        rows = json.loads(args.from_json.read_text(encoding="utf-8"))["items"]
        facts = {row["id"]: row["facts"] for row in rows}
    else:
        facts, wall, cpu, setup = run_judge(items, rewrite=not args.no_rewrite)
        report["latency_ms"] = {"wall_p50": percentile(wall, 0.5), "wall_p95": percentile(wall, 0.95),
                                "cpu_p50": percentile(cpu, 0.5), "cpu_p95": percentile(cpu, 0.95),
                                "setup_s": setup}
    pairs = [(item["facts"], facts[item["id"]]) for item in items if item["memorize"] and facts.get(item["id"])]
    recall, precision = cosine_scores(MiniLMEmbedder(), pairs)
    by_id = {item["id"]: item for item in items}
    garbled = [{"id": i, "fact": f, "words": w} for i, fs in facts.items() for f in fs
               if (w := garbled_words(f, by_id[i]["text"] + " " + by_id[i].get("context", ""), vocabulary))]
    report.update({
        "positives": sum(item["memorize"] for item in items), "positives_with_facts": len(pairs),
        "gold_facts": len(recall), "mean_gold_to_fact_cosine": statistics.fmean(recall),
        "mean_fact_to_gold_cosine": statistics.fmean(precision),
        "produced_facts": sum(len(fs) for fs in facts.values()), "garbled": garbled,
    })
    if args.locomo:
        report["locomo"] = locomo_stress(args.locomo, vocabulary, args.locomo_limit)
    report["load_after"] = load_average()

    print(f"{report['date']}  {report['machine']}  load {report['load_before']} -> {report['load_after']}")
    print(f"positives {report['positives']}, with facts {report['positives_with_facts']}, gold facts {report['gold_facts']}")
    print(f"mean cosine gold->closest fact {report['mean_gold_to_fact_cosine']:.3f}  "
          f"fact->closest gold {report['mean_fact_to_gold_cosine']:.3f}")
    print(f"garbled facts: {len(garbled)} of {report['produced_facts']}")
    for row in garbled:
        print(f"  {row['id']}: {row['fact']!r} {row['words']}")
    if "latency_ms" in report:
        lat = report["latency_ms"]
        print(f"judge per candidate (ms): wall p50 {lat['wall_p50']:.1f} p95 {lat['wall_p95']:.1f}; "
              f"cpu p50 {lat['cpu_p50']:.1f} p95 {lat['cpu_p95']:.1f}; setup {lat['setup_s']:.1f}s")
    if "locomo" in report:
        loc = report["locomo"]
        print(f"locomo: {loc['sentences']} sentences, {loc['rewritten']} rewritten, {len(loc['garbled'])} garbled; "
              f"rewrite p50 {loc['p50_ms']:.1f} ms p95 {loc['p95_ms']:.1f} ms")
        for row in loc["garbled"][:20]:
            print(f"  {row['sentence']!r} -> {row['fact']!r} {row['words']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
