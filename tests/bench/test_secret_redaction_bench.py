"""bench/secret_redaction.py end to end on a few planted secrets per kind (figures not asserted, only their shape)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.waiting import ready_limit

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_secret_redaction_bench_prints_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "secrets.json"
    result = subprocess.run([sys.executable, str(BENCH / "secret_redaction.py"), "--per-kind", "5", "--daemon",
                             "--json", str(out)], capture_output=True, text=True, timeout=2 * ready_limit())
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    lines = result.stdout.splitlines()
    assert "cores" in lines[0] and "load" in lines[0] and lines[1].startswith("planted recall")
    assert any(line.startswith("daemon add (refused)") and "CPU" in line for line in lines)
    report = json.loads(out.read_text())
    assert {"card-number", "pin", "security-answer", "cjk-password"} <= set(report["recall"]["planted_by_kind"])
    assert report["daemon"]["planted_values"] > 0 and "values_found_on_disk" in report["daemon"]
