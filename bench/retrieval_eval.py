"""In-process retrieval evaluation on the LoCoMo development split.

Stores every turn as one memory ("Speaker: text") under one user id per
conversation, emulates the daemon's dense channel with numpy (cosine ranking over
the embedded MiniLM, score 1/(1+squared L2), top max(4k, 60)), runs the keyword
channel on a real KeywordIndex in a temp dir, and scores each variant on the
category 1-4 questions: turn recall@5/@10, session hit@10, MRR (first gold turn
within the top 60), overall and per category, plus keyword and fusion latency.

The data is CC BY-NC: it is read from ``--data``, never copied into the project.
Usage: python bench/retrieval_eval.py [--data PATH] [--json OUT] [--only NAME...]
(The data is read by bench/locomo_data.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the LoCoMo names are imported from here by bench/locomo.py
from locomo_data import CATEGORIES, DEFAULT_DATA, Question, Turn, load_locomo  # noqa: E402,F401

DEPTH = 60  # mem0 returns max(4k, 60) dense candidates; k = 10 here


@dataclass(frozen=True)
class IndexSpec:
    """What goes into the keyword index and how it is queried."""

    caption: bool = False  # append an image turn's caption to its text
    context: str = ""  # "", "prev", "next", "prev_next", "date", "prev_date"
    stemming: bool = True
    stopwords: bool = True
    prefix: bool = False
    context_weight: float = 0.5


@dataclass(frozen=True)
class Variant:
    name: str
    dense: bool = True
    keyword: IndexSpec | None = IndexSpec()
    fusion: dict = field(default_factory=dict)  # FusionParams overrides; naive RRF = rrf


def keyword_document(turns: list[Turn], i: int, spec: IndexSpec) -> tuple[str, str]:
    """(text, context) indexed for turn ``i``; context never crosses a session."""
    turn = turns[i]
    text = f"{turn.text} {turn.caption}" if spec.caption and turn.caption else turn.text
    parts = []
    same = lambda j: 0 <= j < len(turns) and turns[j].user_id == turn.user_id and turns[j].session == turn.session  # noqa: E731
    if "prev" in spec.context and same(i - 1):
        parts.append(turns[i - 1].text)
    if "next" in spec.context and same(i + 1):
        parts.append(turns[i + 1].text)
    if "date" in spec.context:
        parts.append(turn.date)
    return text, " ".join(parts)


def dense_hits(turns: list[Turn], questions: list[Question], vectors: np.ndarray,
               queries: np.ndarray) -> list[list[tuple[str, float]]]:
    """Per question: its conversation's top ``DEPTH`` turns by cosine, scored as mem0 does (1/(1+squared L2))."""
    hits = []
    for q, qv in zip(questions, queries):
        rows = [i for i, t in enumerate(turns) if t.user_id == q.user_id]
        cos = vectors[rows] @ qv
        top = np.argsort(-cos, kind="stable")[:DEPTH]
        hits.append([(turns[rows[j]].memory_id, 1.0 / (1.0 + (2.0 - 2.0 * float(cos[j])))) for j in top])
    return hits


def minilm_hits(turns: list[Turn], questions: list[Question]) -> list[list[tuple[str, float]]]:
    """:func:`dense_hits` with the daemon's default embedder (MiniLM embeds queries like texts)."""
    import sidecar.process.offline

    sidecar.process.offline.apply()
    from sidecar.store.embedder import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    return dense_hits(turns, questions, embedder.embed([t.text for t in turns]), embedder.embed([q.text for q in questions]))


class Channels:
    """Per-question dense hits and keyword indexes built on demand for each IndexSpec."""

    def __init__(self, turns: list[Turn], questions: list[Question], workdir: Path,
                 hits: list[list[tuple[str, float]]] | None = None) -> None:
        """``hits``: the dense channel's hits per question (None: :func:`minilm_hits`)."""
        self.turns, self.questions, self.workdir = turns, questions, workdir
        self.dense_hits = hits if hits is not None else minilm_hits(turns, questions)
        self._indexes: dict[tuple, object] = {}

    def keyword_index(self, spec: IndexSpec):
        from sidecar.store.keyword import DEFAULT_STOPWORDS, KeywordIndex

        key = (spec.caption, spec.context, spec.stemming)
        if key not in self._indexes:
            index = KeywordIndex(self.workdir / f"kw{len(self._indexes)}.db", stemming=spec.stemming)
            for i, turn in enumerate(self.turns):
                text, context = keyword_document(self.turns, i, spec)
                index.upsert(turn.memory_id, text, user_id=turn.user_id, context=context)
            self._indexes[key] = index
        index = self._indexes[key]
        index.stopwords = DEFAULT_STOPWORDS if spec.stopwords else frozenset()
        index.prefix, index.context_weight = spec.prefix, spec.context_weight
        return index


def evaluate(channels: Channels, variant: Variant) -> dict:
    """Score one variant; returns overall and per-category metrics and latencies (ms)."""
    from sidecar.store.fusion import fuse

    index = channels.keyword_index(variant.keyword) if variant.keyword else None
    keyword_ms, fusion_ms, per_question = [], [], []
    for q, dense in zip(channels.questions, channels.dense_hits):
        keyword: list[tuple[str, float]] = []
        if index is not None:
            start = time.perf_counter()
            keyword = index.search(q.text, filters={"user_id": q.user_id}, limit=DEPTH)
            keyword_ms.append((time.perf_counter() - start) * 1000)
        if variant.dense and index is not None:
            start = time.perf_counter()
            ranked = [m for m, _ in fuse(dense, keyword, limit=DEPTH, **variant.fusion)]
            fusion_ms.append((time.perf_counter() - start) * 1000)
        else:
            ranked = [m for m, _ in (dense if variant.dense else keyword)]
        per_question.append((q.category, score_ranking(ranked, q)))
    report = {"name": variant.name, "overall": _mean([m for _, m in per_question])}
    report["per_category"] = {CATEGORIES[c]: _mean([m for k, m in per_question if k == c])
                              for c in CATEGORIES}
    for label, values in (("keyword_ms", keyword_ms), ("fusion_ms", fusion_ms)):
        report[label] = _latency(values)
    return report


def score_ranking(ranked: list[str], q: Question) -> dict[str, float]:
    """Turn recall@5/@10, session hit@10 and reciprocal rank of the first gold turn."""
    session = lambda m: int(m.rsplit(":", 1)[0].rsplit("D", 1)[1])  # noqa: E731
    first = next((rank for rank, m in enumerate(ranked, 1) if m in q.gold_turns), None)
    return {
        "recall@5": len(q.gold_turns & set(ranked[:5])) / len(q.gold_turns),
        "recall@10": len(q.gold_turns & set(ranked[:10])) / len(q.gold_turns),
        "session_hit@10": float(any(session(m) in q.gold_sessions for m in ranked[:10])),
        "mrr": 1.0 / first if first else 0.0,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.fmean(r[key] for r in rows), 4) for key in rows[0]} if rows else {}


def _latency(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"mean": round(statistics.fmean(values), 3), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3)}


def keyword_latency_at(turns: list[Turn], questions: list[Question], rows: int, workdir: Path) -> dict:
    """Keyword search latency with ``rows`` memories indexed: one user holding all of them,
    and the same rows spread over users of dev-sized conversations (copies under new ids)."""
    from sidecar.store.keyword import KeywordIndex

    out = {}
    for layout in ("one_user", "many_users"):
        index = KeywordIndex(workdir / f"latency_{layout}.db")
        for n in range(rows):
            turn = turns[n % len(turns)]
            copy = n // len(turns)
            user = "u0" if layout == "one_user" else f"{turn.user_id}#{copy}"
            index.upsert(f"{turn.memory_id}#{copy}", turn.text, user_id=user)
        timings = []
        for q in questions:
            user = "u0" if layout == "one_user" else f"{q.user_id}#0"
            start = time.perf_counter()
            index.search(q.text, filters={"user_id": user}, limit=DEPTH)
            timings.append((time.perf_counter() - start) * 1000)
        out[layout] = _latency(timings)
        index.close()
    return out


def variants() -> list[Variant]:
    """The table: single channels, naive RRF, and each fusion / indexing idea tried."""
    plain = IndexSpec(stopwords=False, stemming=False)
    ctx = {c: IndexSpec(context=c) for c in ("date", "prev", "next", "prev_next", "prev_date", "prev_next_date")}
    win = ctx["prev_date"]
    return [
        Variant("dense alone", keyword=None),
        Variant("bm25 alone: plain tokens, no stopwords", dense=False, keyword=plain),
        Variant("naive rrf k=60 (plain bm25)", keyword=plain, fusion={"method": "rrf", "keyword_weight": 1.0}),
        Variant("bm25: porter, no stopwords", dense=False, keyword=IndexSpec(stopwords=False)),
        Variant("bm25: plain tokens, stopwords", dense=False, keyword=IndexSpec(stemming=False)),
        Variant("bm25: porter + stopwords", dense=False),
        Variant("bm25: porter + stopwords + prefix", dense=False, keyword=IndexSpec(prefix=True)),
        Variant("bm25: + image caption in text", dense=False, keyword=IndexSpec(caption=True)),
        *(Variant(f"bm25: context={c}", dense=False, keyword=spec) for c, spec in ctx.items()),
        Variant("bm25: context=prev_date, weight 1.0", dense=False,
                keyword=IndexSpec(context="prev_date", context_weight=1.0)),
        Variant("rrf k=60 1:1", fusion={"method": "rrf", "keyword_weight": 1.0}),
        Variant("rrf k=5 1:1.5", fusion={"method": "rrf", "rrf_k": 5, "keyword_weight": 1.5}),
        Variant("dbsf 1:1", fusion={"method": "dbsf", "keyword_weight": 1.0}),
        Variant("zscore 1:1", fusion={"method": "zscore", "keyword_weight": 1.0}),
        Variant("minmax 1:1", fusion={"method": "minmax", "keyword_weight": 1.0}),
        Variant("minmax 1:1.25 (default)"),
        *(Variant(f"default + context={c}", keyword=spec) for c, spec in ctx.items()),
        Variant("default + prev_date, minmax 1:1", keyword=win, fusion={"keyword_weight": 1.0}),
        Variant("default + prev_date, minmax 1:2", keyword=win, fusion={"keyword_weight": 2.0}),
        Variant("default + prev_date, zscore 1:1.25", keyword=win, fusion={"method": "zscore"}),
        Variant("default + prev_date, rrf k=5 1:1.5", keyword=win,
                fusion={"method": "rrf", "rrf_k": 5, "keyword_weight": 1.5}),
        Variant("default + prev_date, depth 20/20", keyword=win, fusion={"dense_depth": 20, "keyword_depth": 20}),
        Variant("default + prev_date, depth 10/60", keyword=win, fusion={"dense_depth": 10}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--only", nargs="*", help="run variants whose name contains one of these")
    parser.add_argument("--latency-rows", type=int, default=10_000, help="0 to skip")
    args = parser.parse_args(argv)
    turns, questions = load_locomo(args.data)
    print(f"{len(turns)} turns, {len(questions)} questions (categories 1-4)", file=sys.stderr)
    results: dict = {"data": str(args.data), "questions": len(questions), "variants": []}
    with tempfile.TemporaryDirectory(prefix="retrieval_eval_") as tmp:
        channels = Channels(turns, questions, Path(tmp))
        for variant in variants():
            if args.only and not any(s in variant.name for s in args.only):
                continue
            results["variants"].append(evaluate(channels, variant))
        print_table(results["variants"])
        if args.latency_rows:
            results["keyword_latency_ms"] = keyword_latency_at(turns, questions, args.latency_rows, Path(tmp))
            print(f"keyword latency at {args.latency_rows} rows (ms): {results['keyword_latency_ms']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def print_table(reports: list[dict]) -> None:
    head = f"{'variant':<46} {'R@5':>6} {'R@10':>6} {'S@10':>6} {'MRR':>6}  R@10 by category (1/2/3/4)   kw ms  fuse ms"
    print(head)
    for r in reports:
        o, cats = r["overall"], r["per_category"]
        by_cat = "/".join(f"{cats[n].get('recall@10', float('nan')):.3f}" for n in CATEGORIES.values())
        kw = f"{r['keyword_ms']['mean']:.2f}" if r["keyword_ms"] else "-"
        fu = f"{r['fusion_ms']['mean']:.3f}" if r["fusion_ms"] else "-"
        print(f"{r['name']:<46} {o['recall@5']:6.3f} {o['recall@10']:6.3f} {o['session_hit@10']:6.3f} "
              f"{o['mrr']:6.3f}  {by_cat:<28} {kw:>6} {fu:>8}")


if __name__ == "__main__":
    sys.exit(main())
