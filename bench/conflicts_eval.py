"""Replay reconciliation scenarios (default: the shared conflicts_dev.jsonl) through judge -> reconciler.

Each step is judged; accepted facts (or, for a retraction the gate rejected, the
utterance itself) are reconciled against the speaker's memories in a tiny
in-memory store, and the decision is applied. Prints the share of steps with the
expected op (plus a confusion matrix) and the probe pass rate: the
``must_rank_first`` memory ranks first (semantic match) and no ``must_not_return``
statement is in the user's top 5.

    python bench/conflicts_eval.py [--data PATH] [--judge embedded|ollama] [--reconciler embedded|ollama] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sidecar.process.offline

sidecar.process.offline.apply()

import numpy as np  # noqa: E402

from sidecar.learn.reconcile.decision import Decision, Neighbour  # noqa: E402
from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler  # noqa: E402
from sidecar.learn.reconcile.rules import is_retraction  # noqa: E402
from sidecar.store.embedder import MiniLMEmbedder  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "judge" / "conflicts_dev.jsonl"
OPS = ("ADD", "UPDATE", "DELETE", "NONE")
MATCH_MIN = 0.8
NEIGHBOURS = 5
_OP_WEIGHT = {"UPDATE": 3, "DELETE": 3, "ADD": 2, "NONE": 1}


@dataclass
class MemoryStore:
    """(id, text, user) rows with cosine search scoped to one user."""

    embedder: MiniLMEmbedder
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def search(self, user: str, query: str, limit: int = NEIGHBOURS) -> list[Neighbour]:
        mine = [(mid, text) for mid, (text, owner) in self.rows.items() if owner == user]
        if not mine:
            return []
        vectors = self.embedder.embed([query, *(t for _, t in mine)])
        sims = vectors[1:] @ vectors[0]
        order = np.argsort(-sims)[:limit]
        return [Neighbour(mine[i][0], mine[i][1], float(max(0.0, sims[i]))) for i in order]

    def apply(self, user: str, decision: Decision) -> None:
        if decision.op == "ADD":
            self.rows[f"m{next(self._ids)}"] = (decision.new_text or decision.fact, user)
        elif decision.op == "UPDATE" and decision.target_id in self.rows:
            self.rows[decision.target_id] = (decision.new_text or decision.fact, user)
        elif decision.op == "DELETE":
            self.rows.pop(decision.target_id or "", None)


def same_statement(embedder: MiniLMEmbedder, a: str, b: str) -> float:
    if a.strip().lower() == b.strip().lower():
        return 1.0
    va, vb = embedder.embed([a, b])
    return float(va @ vb)


def run_scenario(scenario: dict, judge, reconciler, store: MemoryStore, embedder: MiniLMEmbedder) -> dict:
    steps = []
    for step, expected in zip(scenario["steps"], scenario["expected_ops"]):
        user = step.get("user_id", scenario["user_id"])
        verdict = judge.judge(step["text"])
        facts = list(verdict.facts) if verdict.memorize else []
        if not facts and is_retraction(step["text"]):
            facts = [step["text"]]
        decisions = []
        for fact in facts:
            decision = reconciler.decide(fact, store.search(user, fact), utterance=step["text"])
            store.apply(user, decision)
            decisions.append(decision)
        op = max((d.op for d in decisions), key=_OP_WEIGHT.__getitem__, default="NONE")
        steps.append({"text": step["text"], "expected": expected, "got": op,
                      "decisions": [f"{d.op} {d.fact!r} -> {d.new_text!r} ({d.reason})" for d in decisions]})
    probes = []
    for probe in scenario["probes"]:
        user = probe.get("user_id", scenario["user_id"])
        hits = store.search(user, probe["query"], limit=5)
        first = hits[0].text if hits else ""
        top_ok = bool(hits) and same_statement(embedder, first, probe["must_rank_first"]) >= MATCH_MIN
        leaked = [
            h.text for h in hits for stale in probe["must_not_return"]
            # a hit asserts the stale value only if it is closer to it than to the live memory
            if same_statement(embedder, h.text, stale) >= MATCH_MIN
            and same_statement(embedder, h.text, stale) > same_statement(embedder, h.text, probe["must_rank_first"])
        ]
        probes.append({"query": probe["query"], "top1": first, "want": probe["must_rank_first"],
                       "top1_ok": top_ok, "leaked": leaked, "isolation": "user_id" in probe,
                       "passed": top_ok and not leaked})
    return {"id": scenario["id"], "steps": steps, "probes": probes}


def summarise(results: list[dict]) -> dict:
    steps = [s for r in results for s in r["steps"]]
    probes = [p for r in results for p in r["probes"]]
    confusion = Counter((s["expected"], s["got"]) for s in steps)
    return {
        "steps": len(steps),
        "op_accuracy": sum(s["expected"] == s["got"] for s in steps) / len(steps),
        "confusion": {e: {g: confusion[(e, g)] for g in OPS} for e in OPS},
        "probes": len(probes),
        "probe_pass_rate": sum(p["passed"] for p in probes) / len(probes),
        "probe_top1_rate": sum(p["top1_ok"] for p in probes) / len(probes),
        "probe_exclusion_rate": sum(not p["leaked"] for p in probes) / len(probes),
        "isolation_probe_pass": [sum(p["passed"] for p in probes if p["isolation"]),
                                 sum(p["isolation"] for p in probes)],
        "scenarios": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--judge", choices=("embedded", "ollama"), default="embedded")
    parser.add_argument("--reconciler", choices=("embedded", "ollama"), default="embedded")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="print the wrong steps and failed probes")
    args = parser.parse_args(argv)

    embedder = MiniLMEmbedder()
    if args.judge == "ollama":
        from sidecar.learn.judge.ollama_judge import OllamaJudge

        judge = OllamaJudge()
    else:
        from sidecar.learn.judge.embedded_judge import EmbeddedJudge

        judge = EmbeddedJudge(embedder)
    if args.reconciler == "ollama":
        from sidecar.learn.reconcile.reconcilers import OllamaReconciler

        reconciler = OllamaReconciler()
    else:
        reconciler = EmbeddedReconciler(embedder)

    scenarios = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    results = [run_scenario(s, judge, reconciler, MemoryStore(embedder), embedder) for s in scenarios]
    summary = summarise(results)
    summary["run_seconds"] = time.perf_counter() - started

    print(f"scenarios={len(scenarios)} steps={summary['steps']} run={summary['run_seconds']:.2f}s")
    print(f"op accuracy: {summary['op_accuracy']:.3f}")
    print("confusion (rows expected, cols got): " + " ".join(f"{o:>6}" for o in OPS))
    for expected in OPS:
        print(f"  {expected:>6} " + " ".join(f"{summary['confusion'][expected][g]:>6}" for g in OPS))
    print(f"probes: pass={summary['probe_pass_rate']:.3f} top1={summary['probe_top1_rate']:.3f} "
          f"top5-exclusion={summary['probe_exclusion_rate']:.3f} isolation={summary['isolation_probe_pass'][0]}/{summary['isolation_probe_pass'][1]}")
    if args.errors:
        for result in results:
            for step in result["steps"]:
                if step["expected"] != step["got"]:
                    print(f"  {result['id']} want {step['expected']} got {step['got']}: {step['text'][:70]!r} {step['decisions']}")
            for probe in result["probes"]:
                if not probe["passed"]:
                    print(f"  {result['id']} probe {probe['query']!r}: top1={probe['top1']!r} want={probe['want']!r} leaked={probe['leaked']}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
