"""Evaluate a write-gate judge on a labelled gate set (default: the shared gate_dev.jsonl).

Prints precision / recall / F1 / accuracy on ``memorize``, the confusion counts,
kind accuracy, secret leakage and per-item latency. Secret items are judged
twice: as written (the judge's own secret detector is the last line of defence)
and in a simulated redacted form, because in the daemon the gate runs after
redaction has replaced secret values with ``[REDACTED:kind]``.

    python bench/judge_eval.py [--data PATH] [--judge embedded|ollama] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import sidecar.process.offline

sidecar.process.offline.apply()

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "judge" / "gate_dev.jsonl"

# A stand-in for the real redaction step: value shapes only, never names like OPENAI_API_KEY.
_SIMULATED_REDACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private_key", re.compile(r"-----BEGIN[^-]*-----.*?(?:-----END[^-]*-----|\Z)", re.S)),
    ("url_credentials", re.compile(r"(?<=://)[^:/\s@]+:[^@\s/]+(?=@)")),
    ("token", re.compile(r"\b(?=[A-Za-z0-9_\-+/]*\d)(?=[A-Za-z0-9_\-+/]*[A-Za-z])[A-Za-z0-9_\-+/]{16,}\b")),
    ("password", re.compile(r"(?i)(?<=\bis )['\"]?[^\s'\",.]*[0-9!@#$%^&*][^\s'\",]*['\"]?")),
    ("password", re.compile(r"(?i)(?<=\bist )['\"]?[^\s'\",]*[0-9!][^\s'\",]*['\"]?")),
    ("answer", re.compile(r"(?<=\bis )'[^']+'")),
    ("code", re.compile(r"\b\d{4,8}\b")),
)


def simulate_redaction(text: str) -> str:
    """Replace credential-shaped values with placeholders, as the upstream redactor would."""
    for kind, pattern in _SIMULATED_REDACTIONS:
        text = pattern.sub(f"[REDACTED:{kind}]", text)
    return text


def redactor():
    """The project's redaction step when present, else the simulation above."""
    try:
        from sidecar.learn.redact import redact
    except ImportError:
        return simulate_redaction, "simulated"
    return (lambda text: redact(text).text), "sidecar.learn.redact"


def build_judge(name: str):
    if name == "ollama":
        from sidecar.learn.judge.ollama_judge import OllamaJudge

        return OllamaJudge()
    from sidecar.learn.judge.embedded_judge import EmbeddedJudge
    from sidecar.store.embedder import MiniLMEmbedder

    return EmbeddedJudge(MiniLMEmbedder())


def evaluate(judge, items: list[dict]) -> dict:
    """Run ``judge`` over ``items``; returns the metrics dictionary (and per-item rows)."""
    rows = []
    latencies = []
    redact_text, _ = redactor()
    for item in items:
        started = time.perf_counter()
        verdict = judge.judge(item["text"], role=item["role"], context=item.get("context", ""))
        latencies.append((time.perf_counter() - started) * 1000)
        # the daemon judges text after redaction: score that pipeline on every item
        redacted_verdict = judge.judge(redact_text(item["text"]), role=item["role"], context=item.get("context", ""))
        rows.append({
            "id": item["id"], "gold": item["memorize"], "pred": verdict.memorize,
            "gold_kind": item["kind"], "pred_kind": verdict.kind, "score": round(verdict.score, 3),
            "facts": list(verdict.facts), "secret": bool(item.get("contains_secret")),
            "redacted_pred": redacted_verdict.memorize,
        })
    tp = sum(r["gold"] and r["pred"] for r in rows)
    fp = sum(not r["gold"] and r["pred"] for r in rows)
    fn = sum(r["gold"] and not r["pred"] for r in rows)
    tn = sum(not r["gold"] and not r["pred"] for r in rows)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    secret_rows = [r for r in rows if r["secret"]]
    ptp = sum(r["gold"] and r["redacted_pred"] for r in rows)
    pfp = sum(not r["gold"] and r["redacted_pred"] for r in rows)
    pfn = sum(r["gold"] and not r["redacted_pred"] for r in rows)
    return {
        "pipeline_precision": ptp / (ptp + pfp) if ptp + pfp else 0.0,
        "pipeline_recall": ptp / (ptp + pfn) if ptp + pfn else 0.0,
        "n": len(rows), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": precision, "recall": recall, "f1": f1, "accuracy": (tp + tn) / len(rows),
        "kind_accuracy": sum(r["gold_kind"] == r["pred_kind"] for r in rows) / len(rows),
        "secret_items": len(secret_rows),
        "secret_leaks_raw": sum(r["pred"] or bool(r["facts"]) for r in secret_rows),
        "secret_leaks_redacted": sum(bool(r["redacted_pred"]) for r in secret_rows),
        "secret_kind_raw": sum(r["pred_kind"] == "secret" for r in secret_rows),
        "latency_ms": {
            "mean": statistics.fmean(latencies), "median": statistics.median(latencies),
            "p95": sorted(latencies)[int(0.95 * (len(latencies) - 1))], "max": max(latencies),
        },
        "kind_confusions": Counter(f"{r['gold_kind']}->{r['pred_kind']}" for r in rows if r["gold_kind"] != r["pred_kind"]).most_common(15),
        "items": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--judge", choices=("embedded", "ollama"), default="embedded")
    parser.add_argument("--json", type=Path, default=None, help="write the metrics (with per-item rows) here")
    parser.add_argument("--errors", action="store_true", help="list the misjudged items")
    args = parser.parse_args(argv)

    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    judge = build_judge(args.judge)
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    metrics = evaluate(judge, items)
    metrics["setup_seconds"] = setup_s
    metrics["run_seconds"] = time.perf_counter() - started

    print(f"judge={args.judge} items={metrics['n']} setup={setup_s:.2f}s run={metrics['run_seconds']:.2f}s")
    print(f"memorize: precision={metrics['precision']:.3f} recall={metrics['recall']:.3f} "
          f"f1={metrics['f1']:.3f} accuracy={metrics['accuracy']:.3f}")
    print(f"confusion: tp={metrics['tp']} fp={metrics['fp']} fn={metrics['fn']} tn={metrics['tn']}")
    print(f"kind accuracy: {metrics['kind_accuracy']:.3f}")
    print(f"secrets: {metrics['secret_items']} items, leaked raw={metrics['secret_leaks_raw']} "
          f"redacted={metrics['secret_leaks_redacted']}, labelled secret (raw)={metrics['secret_kind_raw']}")
    print(f"after redaction ({redactor()[1]}): precision={metrics['pipeline_precision']:.3f} "
          f"recall={metrics['pipeline_recall']:.3f}")
    lat = metrics["latency_ms"]
    print(f"latency per item (ms): mean={lat['mean']:.1f} median={lat['median']:.1f} p95={lat['p95']:.1f} max={lat['max']:.1f}")
    if args.errors:
        for row in metrics["items"]:
            if row["gold"] != row["pred"]:
                print(f"  {row['id']} gold={row['gold']} pred={row['pred']} kind={row['gold_kind']}->{row['pred_kind']} score={row['score']} facts={row['facts']}")
        print("kind confusions:", metrics["kind_confusions"])
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
