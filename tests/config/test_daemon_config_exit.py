"""``python -m sidecar`` with a bad config: exit 78 (EX_CONFIG) and one line naming the file, key and problem.

Real processes: the check runs before any part of the daemon is built, so no
traceback, no exit 1 and no restart loop under systemd (the unit does not restart on 78).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import daemon_env, write_config
from sidecar.testing.waiting import ready_limit
from sidecar_shared import exitcodes


def run_daemon(home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sidecar"], env=daemon_env(home), capture_output=True,
                          text=True, timeout=ready_limit(), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("text, key, problem", [
    ('[context]\nproject_dirs = [{user_id = "x"}]\n', "context.project_dirs.0.path", "Field required"),
    ('[daemon]\nworkers = "four"\n', "daemon.workers", "'four'"),
    ('[daemon]\nqueue_sise = 10\n', "daemon.queue_sise", "unknown key"),
    ('[gate]\nbackend = "olama"\n', "gate.backend", "'olama'"),
    ('[gate]\nmax_attempts = 0\n', "gate.max_attempts", "greater than or equal to 1"),
    ('[mem0]\nllm = 3\n', "mem0.llm", "must be a table"),
    ('[mem0.vector_store]\nprovider = "chromadb"\n', "mem0.vector_store.provider", "'chromadb'"),
    ('[mem0]\nvectorstore = {provider = "chroma"}\n', "mem0.vectorstore", "unknown key"),
    ('[ollama]\nurl = "htp:/localhost"\n', "ollama.url", "http://127.0.0.1:11434"),
    ('[watch]\ngeneric_dirs = "/one/folder"\n', "watch.generic_dirs", "valid tuple"),
])
def test_a_bad_config_exits_78_with_one_line(isolated_home: Path, text: str, key: str, problem: str) -> None:
    config = write_config(isolated_home, text)
    result = run_daemon(isolated_home)
    assert result.returncode == exitcodes.CONFIG, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(config) in lines[0] and key in lines[0] and problem in lines[0], lines[0]
    assert "Traceback" not in result.stderr and not (isolated_home / "data" / "store").exists()


def test_the_doctor_reports_the_same_line(isolated_home: Path) -> None:
    config = write_config(isolated_home, '[mem0]\nllm = 3\n[context]\nproject_dirs = [{user_id = "x"}]\n')
    served = run_daemon(isolated_home).stderr.strip()
    from sidecar_cli.doctor_local import load_config

    _, check = load_config(config)
    assert check.status == "fail" and check.detail in served
    assert "mem0.llm" in check.detail and "context.project_dirs.0.path" in check.detail
