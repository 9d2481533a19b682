"""The memory-poisoning screen (sidecar.learn.judge.poisoning) against legitimate text.

Two questions:

1. How often does the screen refuse legitimate text? It runs over every utterance
   of the shared data sets that a memory might be learned from: the gate set
   (shared/data/judge/gate_dev.jsonl), the reconciliation steps (conflicts_dev.jsonl),
   the learning set's gold facts and their evidence (learning/labels.jsonl), every
   candidate the transcript parsers find in shared/data/transcripts and
   learning/files, and the LoCoMo dialogue turns. Every refusal is listed with --show.
2. Does the gate's precision / recall on the gate set change? The embedded judge
   alone vs the screen in front of it (as GatePipeline.learn runs them), with
   bench/judge_eval.py's metrics.

    python bench/poisoning_eval.py [--show] [--no-judge] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge_eval  # noqa: E402
from common import header, header_line  # noqa: E402

from sidecar.learn.judge.poisoning import InstructionGuard, assess  # noqa: E402
from sidecar.learn.judge.verdict import Verdict  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gate_texts() -> Iterator[tuple[str, str]]:
    for item in _jsonl(SHARED / "judge" / "gate_dev.jsonl"):
        yield ("gate_dev (memorize)" if item["memorize"] else "gate_dev (discard)"), item["text"]


def conflict_texts() -> Iterator[tuple[str, str]]:
    for scenario in _jsonl(SHARED / "judge" / "conflicts_dev.jsonl"):
        for step in scenario["steps"]:
            yield "conflicts_dev steps", step["text"]


def learning_facts() -> Iterator[tuple[str, str]]:
    for label in _jsonl(SHARED / "learning" / "labels.jsonl"):
        for fact in label["facts"]:
            yield "learning gold facts", fact["fact"]
            yield "learning gold evidence", fact["evidence"]


def transcript_candidates() -> Iterator[tuple[str, str]]:
    from sidecar.learn.candidates import select
    from sidecar.learn.parse import detect_agent, parser_for
    from sidecar.learn.parse.records import ParserState

    for root in (SHARED / "transcripts", SHARED / "learning" / "files"):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json", ".md")):
            agent = detect_agent(path) or ("aider" if path.name.endswith(".aider.chat.history.md") else None)
            if agent is None and path.suffix == ".md":
                agent = "generic"
            if agent is None:
                continue
            try:
                result = parser_for(agent).parse(path.read_bytes(), source=str(path), start_offset=0,
                                                 start_line=1, state=ParserState())
            except Exception:  # a file a parser cannot read is not this benchmark's concern
                continue
            for candidate in select(result.candidates):
                yield f"transcript candidates ({candidate.role})", candidate.text


def locomo_turns() -> Iterator[tuple[str, str]]:
    data = json.loads((SHARED / "locomo" / "locomo10_dev.json").read_text(encoding="utf-8"))
    for sample in data:
        conversation = sample.get("conversation", {})
        for key, turns in conversation.items():
            if key.startswith("session_") and isinstance(turns, list):
                for turn in turns:
                    if isinstance(turn, dict) and isinstance(turn.get("text"), str):
                        yield "locomo turns", turn["text"]


def false_refusals(show: bool) -> tuple[dict[str, dict[str, int]], float, float]:
    """Per corpus: texts screened and texts refused (listed when ``show``); wall and CPU seconds of screening."""
    counts: dict[str, dict[str, int]] = {}
    wall = cpu = 0.0
    for source in (gate_texts, conflict_texts, learning_facts, transcript_candidates, locomo_turns):
        for corpus, text in source():
            row = counts.setdefault(corpus, {"texts": 0, "refused": 0})
            row["texts"] += 1
            started, started_cpu = time.perf_counter(), time.process_time()
            finding = assess(text)
            wall += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
            if finding.instruction_like:
                row["refused"] += 1
                if show:
                    print(f"  refused [{corpus}] {finding.signals}: {' '.join(text.split())[:200]!r}")
    return counts, wall, cpu


class GuardedJudge:
    """The screen in front of a judge, as the write gate runs them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.guard = InstructionGuard()
        self.name = f"guarded-{getattr(inner, 'name', 'judge')}"

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        refused = self.guard.screen(text)
        return refused if refused is not None else self.inner.judge(text, role=role, context=context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every refused text")
    parser.add_argument("--no-judge", action="store_true", help="skip the gate-set precision/recall comparison")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    info = header()
    print(header_line(info))
    counts, wall, cpu = false_refusals(args.show)
    screened = sum(row["texts"] for row in counts.values())
    print(f"screened {screened} texts: {wall / max(screened, 1) * 1e6:.0f} µs wall, "
          f"{cpu / max(screened, 1) * 1e6:.0f} µs CPU per text (in process, no daemon: a pure function)")
    for corpus, row in counts.items():
        print(f"  {corpus:32s} texts={row['texts']:6d} refused={row['refused']}")
    report: dict[str, Any] = {"machine": info, "false_refusals": counts,
                              "per_text_us": {"wall": wall / max(screened, 1) * 1e6, "cpu": cpu / max(screened, 1) * 1e6}}
    if not args.no_judge:
        items = _jsonl(judge_eval.DEFAULT_DATA)
        plain = judge_eval.build_judge("embedded")
        for name, judge in (("judge alone", plain), ("screen + judge", GuardedJudge(plain))):
            metrics = judge_eval.evaluate(judge, items)
            report[name] = {k: metrics[k] for k in ("precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "tn",
                                                    "pipeline_precision", "pipeline_recall")}
            print(f"{name:15s} precision={metrics['precision']:.3f} recall={metrics['recall']:.3f} "
                  f"f1={metrics['f1']:.3f} after redaction: precision={metrics['pipeline_precision']:.3f} "
                  f"recall={metrics['pipeline_recall']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
