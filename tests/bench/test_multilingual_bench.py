"""bench/multilingual.py on a tiny input (figures are not asserted), and its data file's consistency."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multilingual as bench  # noqa: E402
import multilingual_speed  # noqa: E402
from multilingual_pool import GATE_DEV, Target, load_distractors, load_targets  # noqa: E402

needs_shared_data = pytest.mark.skipif(not GATE_DEV.is_file(), reason=f"shared data not found at {GATE_DEV}")


@needs_shared_data
def test_every_target_has_text_queries_and_a_language():
    targets = load_targets()
    assert len({t.id for t in targets}) == len(targets) >= 60
    assert all(t.text and t.queries and t.lang in ("de", "es", "fr", "zh", "ja", "en") for t in targets)
    assert all(t.english for t in targets if t.lang != "en")  # every non-English fact has its control
    distractors = load_distractors(targets, size=50)
    assert len(distractors) == 50 and not {t.text for t in targets} & set(distractors)


def test_rank_of_counts_better_rows_and_earlier_ties():
    pool = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    query = np.array([0.0, 1.0], dtype=np.float32)
    assert [bench.rank_of(pool, query, i) for i in range(4)] == [4, 1, 2, 3]


def test_retrieval_and_speed_run_on_a_tiny_input(tmp_path: Path):
    targets = [Target("t1", "zh", "我对青霉素过敏。", "Is allergic to penicillin", ("what medication allergies do I have?",)),
               Target("t2", "en", "Drives a green Volvo", "", ("what car?",))]
    distractors = ["Plays the cello on Sundays", "Works on the billing service"]
    report = bench.retrieval({"minilm": bench.build("minilm", threads=1)}, targets, distractors)
    rows = report["models"]["minilm"]["rows"]
    assert report["pool"] == 4 and [r["id"] for r in rows] == ["t1", "t2"]
    assert all(1 <= r["rank"] <= 4 for r in rows) and rows[0]["control_rank"] is not None
    assert set(report["models"]["minilm"]["by_lang"]) == {"non-English", "zh", "en"}
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps([{"lang": "zh", "text": "我不吃辣。"}, {"lang": "en", "text": "I like tea."}] * 3))
    speed = multilingual_speed.speed_worker("minilm", 1, texts)
    assert speed["single_en"]["n"] == 3 and speed["batched"]["cpu_ms"] >= 0 and speed["rss_mb"]["peak"] > 0
