"""bench/locomo.py on both store backends (``--backend both``): one run, one report per backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bench_smoke import run_bench, tiny_locomo


def test_locomo_runs_on_both_backends_in_one_run(tmp_path: Path, pg_server):
    del pg_server  # only to skip, with the reason, where no PostgreSQL can start; the bench starts its own
    out = tmp_path / "locomo.json"
    run_bench("locomo.py", "--data", str(tiny_locomo(tmp_path / "tiny.json")), "--backend", "both",
              "--json", str(out))
    report = json.loads(out.read_text())
    assert report["backends"] == ["embedded", "pgvector"]
    assert set(report["modes"]) == {"verbatim/embedded", "verbatim/pgvector"}
    for name, mode in report["modes"].items():
        assert mode["backend"] == name.split("/")[1] and mode["questions"] == 3 and mode["memories"] == 5


pytestmark = pytest.mark.slow
