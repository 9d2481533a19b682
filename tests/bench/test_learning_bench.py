"""bench/learning.py end to end on a made-up learning set of two tiny transcripts (scores not asserted).

Checks the shape of what it prints and writes: one table row per selected transcript plus
``overall``, every stored memory listed with a verdict under ``--show``, and the JSON report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.waiting import ready_limit

BENCH = Path(__file__).resolve().parents[2] / "bench"
STATUSES = {"matched", "duplicate", "stale", "junk", "unmatched"}


def tiny_learning_set(root: Path) -> Path:
    """A labels.jsonl and two generic JSONL transcripts of our own."""
    lines = [("user", "I always use pnpm, never npm, in this repository."),
             ("assistant", "Understood, I'll use pnpm."),
             ("user", "My sister lives in Lisbon and I visit her every summer."),
             ("user", "git add src/app.ts && git commit -m wip"),
             ("user", "thanks, that's all for today!")]
    labels = []
    for name in ("tiny-a", "tiny-b"):
        transcript = root / "files" / name / "session.jsonl"
        transcript.parent.mkdir(parents=True)
        transcript.write_text("".join(json.dumps({"role": role, "content": text, "session_id": name}) + "\n"
                                      for role, text in lines))
        labels.append({"id": name, "agent": "generic", "file": f"files/{name}/session.jsonl", "lines": len(lines),
                       "sessions": 1,
                       "facts": [{"fact": "Uses pnpm, not npm, in the repository", "kind": "project_convention",
                                  "importance": 3, "evidence": lines[0][1], "line": 1, "source": "user"},
                                 {"fact": "Sister lives in Lisbon", "kind": "personal_fact", "importance": 2,
                                  "evidence": lines[2][1], "line": 3, "source": "user"}],
                       "must_not_store": [lines[3][1], lines[4][1]], "note": "made up"})
    (root / "labels.jsonl").write_text("".join(json.dumps(row) + "\n" for row in labels))
    return root


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_learning_bench_prints_and_writes_its_report(tmp_path: Path):
    data = tiny_learning_set(tmp_path / "learning")
    out = tmp_path / "learning.json"
    result = subprocess.run([sys.executable, str(BENCH / "learning.py"), "--data", str(data), "--ids", "tiny-b",
                             "--threshold", "0.55", "--show", "--json", str(out)],
                            capture_output=True, text=True, timeout=2 * ready_limit())
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    lines = result.stdout.splitlines()
    assert "cores" in lines[1] and "load" in lines[1]
    assert lines[2].split()[:3] == ["transcript", "cand", "mem"]
    rows = [line.split()[0] for line in lines if line.startswith(("tiny-", "overall"))]
    assert rows == ["tiny-b", "overall"]
    report = json.loads(out.read_text())
    assert report["threshold"] == 0.55 and {"date", "machine", "load"} <= set(report)
    [row] = report["transcripts"]
    assert row["id"] == "tiny-b" and row["facts"] == 2 and row["facts3"] == 1
    assert row["candidates"] == row["ingest"]["candidates"] > 0 and row["ingest"]["pending"] == 0
    assert row["stored"] == len(row["memories"])
    assert all(m["status"] in STATUSES and m["memory"] for m in row["memories"])
    assert set(row["missed"]) <= {"Uses pnpm, not npm, in the repository", "Sister lives in Lisbon"}
    assert {"recall", "recall3", "precision", "junk_rate", "per_100_candidates", "wall_s", "cpu_s"} <= set(row)
    listed = [line for line in lines if line.startswith("  ") and line.split()[0] in STATUSES]
    assert len(listed) == row["stored"]
    assert report["overall"]["stored"] == row["stored"] and report["overall"]["facts"] == 2


def test_unknown_transcript_ids_are_refused(tmp_path: Path):
    data = tiny_learning_set(tmp_path / "learning")
    result = subprocess.run([sys.executable, str(BENCH / "learning.py"), "--data", str(data), "--ids", "nope"],
                            capture_output=True, text=True, timeout=ready_limit())
    assert result.returncode != 0 and "unknown transcript id(s): nope" in result.stderr
