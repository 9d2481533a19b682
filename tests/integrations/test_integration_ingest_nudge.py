"""The ingest path from the outside: `memctl ingest`, `memctl watch status`, and the Stop hook's nudge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sidecar_shared.paths import app_paths

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")


def configure(home: Path, text: str) -> None:
    config = app_paths({"SIDECAR_HOME": str(home)}).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)


def test_memctl_ingest_backfills_and_watch_status_lists_the_file(isolated_home: Path, tmp_path: Path):
    from sidecar.testing.daemons import running_daemon

    configure(isolated_home, 'user_id = "cli-user"\n')
    transcript = tmp_path / "agent-log.jsonl"
    transcript.write_text(
        json.dumps({"role": "user", "content": "I am allergic to shellfish and carry an EpiPen", "session_id": "g"})
        + "\n" + json.dumps({"role": "user", "content": "thanks, that's all for now!", "session_id": "g"}) + "\n"
        + "{corrupt line\n")
    with running_daemon(isolated_home) as daemon:
        run = subprocess.run([MEMCTL, "ingest", str(transcript), "--agent", "generic", "--wait", "--json"],
                             env=daemon.env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["records"] >= 2 and report["corrupt"] == 1 and report["added"] >= 1
        learned = daemon.client.get_all(filters={"user_id": "cli-user", "agent_id": "generic"})["results"]
        assert any("shellfish" in m["memory"].lower() for m in learned)
        assert not any("thanks" in m["memory"].lower() for m in learned)
        status = json.loads(subprocess.run([MEMCTL, "watch", "status", "--json"], env=daemon.env,
                                           capture_output=True, text=True, timeout=60).stdout)
        row = next(f for f in status["files"] if f["path"] == str(transcript))
        assert row["offset"] == transcript.stat().st_size and row["corrupt"] == 1


def test_claude_stop_hook_nudges_ingestion_of_the_transcript(isolated_home: Path, tmp_path: Path):
    from sidecar.testing.daemons import running_daemon

    configure(isolated_home, 'user_id = "hook-user"\n[watch]\non = false\n')
    transcript = tmp_path / "session-7.jsonl"
    transcript.write_text(json.dumps({"type": "user", "sessionId": "session-7", "uuid": "u1", "cwd": "/p",
                                      "message": {"role": "user", "content": "My daughter Ines is 7 and loves chess"}})
                          + "\n")
    with running_daemon(isolated_home) as daemon:
        event = {"session_id": "session-7", "transcript_path": str(transcript), "cwd": "/p",
                 "hook_event_name": "Stop"}
        hook = subprocess.run([sys.executable, "-I", "-m", "sidecar_integrations.hooks", "claude-code", "Stop"],
                              input=json.dumps(event), env=daemon.env, capture_output=True, text=True, timeout=30)
        assert hook.returncode == 0
        deadline = time.monotonic() + 60
        learned: list = []
        while time.monotonic() < deadline and not learned:
            learned = daemon.client.get_all(filters={"user_id": "hook-user", "agent_id": "claude-code"})["results"]
            time.sleep(0.2)
        assert learned and "chess" in learned[0]["memory"].lower()
        assert learned[0]["metadata"]["session_id"] == "session-7"
