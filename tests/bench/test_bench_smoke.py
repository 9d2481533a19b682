"""Each benchmark script runs end to end on a tiny input of our own (figures are not asserted).

The real runs (and their figures) are in docs/benchmarks.md; these only keep the
scripts working as the code changes. The end-to-end runs start daemons and are marked
``slow`` (``pytest -m "not slow"`` skips them); CI runs them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.waiting import ready_limit

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_bench(script: str, *args: str) -> None:
    """Run one script; it starts its own daemons, which wait up to $SIDECAR_TEST_READY_S each to be ready."""
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                            timeout=2 * ready_limit())
    assert result.returncode == 0, f"{script} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def tiny_locomo(path: Path) -> Path:
    """Two sessions of a made-up conversation in LoCoMo's schema, with three questions."""
    turns1 = [{"speaker": "Ada", "dia_id": "D1:1", "text": "I adopted a grey cat named Pixel last week."},
              {"speaker": "Ben", "dia_id": "D1:2", "text": "Nice! I started learning the cello."},
              {"speaker": "Ada", "dia_id": "D1:3", "text": "My sister lives in Lisbon now."}]
    turns2 = [{"speaker": "Ben", "dia_id": "D2:1", "text": "My cello teacher is strict but kind."},
              {"speaker": "Ada", "dia_id": "D2:2", "text": "Pixel knocked my plant off the shelf."}]
    sample = {"sample_id": "tiny-1", "conversation": {
        "speaker_a": "Ada", "speaker_b": "Ben", "session_1_date_time": "1:00 pm on 3 May, 2023",
        "session_1": turns1, "session_2_date_time": "2:00 pm on 9 May, 2023", "session_2": turns2},
        "qa": [{"question": "What is the name of Ada's cat?", "answer": "Pixel", "evidence": ["D1:1"], "category": 4},
               {"question": "Which instrument does Ben learn?", "answer": "cello", "evidence": ["D1:2; D2:1"],
                "category": 1},
               {"question": "Where does Ada's sister live?", "answer": "Lisbon", "evidence": ["D:1:3"],
                "category": 3}]}
    path.write_text(json.dumps([sample]))
    return path


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_foundation_bench(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOCOMO_DATA", str(tiny_locomo(tmp_path / "locomo.json")))  # its stored text and queries
    out = tmp_path / "foundation.json"
    run_bench("foundation.py", "--sizes", "40", "--rounds", "5", "--process-runs", "1", "--json", str(out))
    report = json.loads(out.read_text())
    assert report["speedup"] > 0 and "40" in {str(k) for k in report["sizes"]}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_scale_bench(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOCOMO_DATA", str(tiny_locomo(tmp_path / "locomo.json")))
    out = tmp_path / "scale.json"
    run_bench("scale.py", "--sizes", "20", "40", "--rounds", "5", "--json", str(out))
    assert [row["size"] for row in json.loads(out.read_text())["rows"]] == [20, 40]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_scale_bench_paired(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOCOMO_DATA", str(tiny_locomo(tmp_path / "locomo.json")))
    out = tmp_path / "scale.json"
    run_bench("scale.py", "--paired", "--sizes", "20", "40", "--rounds", "5", "--json", str(out))
    report = json.loads(out.read_text())
    assert report["paired"] and [row["size"] for row in report["rows"]] == [20, 40]
    assert all(row["search_p95_ms"] > 0 and row["search_cpu_ms"] > 0 for row in report["rows"])


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_load_bench(tmp_path: Path):
    out = tmp_path / "load.json"
    run_bench("load.py", "--clients", "3", "--seconds", "1", "--seed-memories", "100", "--judge-backlog", "20",
              "--json", str(out))
    report = json.loads(out.read_text())
    assert report["mixed"]["errors"] == 0 and report["backlog_queued"] > 0


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_locomo_and_retrieval_eval_benches(tmp_path: Path):
    data = tiny_locomo(tmp_path / "tiny.json")
    out = tmp_path / "locomo.json"
    run_bench("locomo.py", "--data", str(data), "--mode", "both", "--json", str(out))
    report = json.loads(out.read_text())
    assert report["questions"] == 3 and set(report["modes"]) == {"verbatim", "learn"}
    assert report["modes"]["verbatim"]["memories_per_turn"] == 1.0
    assert all(mode["questions"] == 3 and "recall@10" in mode["overall"] for mode in report["modes"].values())
    assert report["modes"]["learn"]["speaker"] == "name"
    run_bench("retrieval_eval.py", "--data", str(data), "--latency-rows", "0", "--only", "default",
              "--json", str(tmp_path / "retrieval.json"))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_judge_and_conflict_evals(tmp_path: Path):
    gate = tmp_path / "gate.jsonl"
    gate.write_text("\n".join(json.dumps(item) for item in [
        {"id": "g1", "role": "user", "text": "I am allergic to shellfish.", "context": "", "memorize": True,
         "kind": "personal_fact", "facts": ["Is allergic to shellfish"], "contains_secret": False},
        {"id": "g2", "role": "user", "text": "thanks, that's all!", "context": "", "memorize": False,
         "kind": "small_talk", "facts": [], "contains_secret": False}]) + "\n")
    run_bench("judge_eval.py", "--data", str(gate), "--json", str(tmp_path / "judge.json"))
    conflicts = tmp_path / "conflicts.jsonl"
    conflicts.write_text(json.dumps({
        "id": "c1", "user_id": "u1",
        "steps": [{"text": "I live in Oslo.", "session": 1, "target_memory": None, "resulting_memory": "Lives in Oslo"},
                  {"text": "We moved to Bergen last month.", "session": 2, "target_memory": "Lives in Oslo",
                   "resulting_memory": "Lives in Bergen"}],
        "expected_ops": ["ADD", "UPDATE"], "final_memories": ["Lives in Bergen"],
        "probes": [{"query": "Where do I live?", "must_rank_first": "Lives in Bergen",
                    "must_not_return": ["Lives in Oslo"]}], "note": "move"}) + "\n")
    run_bench("conflicts_eval.py", "--data", str(conflicts), "--distinct", "12", "--json", str(tmp_path / "conflicts.json"))
    report = json.loads((tmp_path / "conflicts.json").read_text())
    assert report["steps"] == 2 and report["distinct"]["facts"] == 12 and "confusion" in report


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_context_bench(tmp_path: Path):
    run_bench("context_bench.py", "--memories", "200", "--direct-memories", "5", "--rounds", "3",
              "--json", str(tmp_path / "context.json"))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_ingest_bench(tmp_path: Path):
    transcripts = tmp_path / "transcripts" / "generic"
    transcripts.mkdir(parents=True)
    (transcripts / "a.jsonl").write_text("".join(
        json.dumps({"role": "user", "content": f"My colleague Dana{i} works on the billing team", "session_id": "s"})
        + "\n" for i in range(5)))
    run_bench("ingest_bench.py", str(tmp_path / "transcripts"), "--latency-samples", "2", "--load-jobs", "10",
              "--json", str(tmp_path / "ingest.json"))


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")
                                          if p.name not in {"common.py", "corpus.py", "learning_score.py", "multilingual_pool.py",
                                                                "conflicts_distinct.py", "perf.py", "realistic.py",
                                                                "scale_paired.py"}))
def test_every_bench_script_has_help(script: str):
    result = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                            timeout=ready_limit())
    assert result.returncode == 0 and "usage" in result.stdout.lower()
