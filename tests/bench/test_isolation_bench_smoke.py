"""bench/isolation.py runs end to end on a small input and finds no leak (the real run: 10,000 queries)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.waiting import ready_limit

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_isolation_bench_small_run(tmp_path: Path) -> None:
    out = tmp_path / "isolation.json"
    result = subprocess.run([sys.executable, str(BENCH / "isolation.py"), "--queries", "300", "--families", "8",
                             "--seed", "1", "--json", str(out)], capture_output=True, text=True,
                            timeout=2 * ready_limit())
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    report = json.loads(out.read_text())
    assert report["queries"] == 300 and report["leaks"] == 0 and report["users"] >= 8
