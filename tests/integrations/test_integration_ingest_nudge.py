"""The ingest path from the outside: `memctl ingest`, `memctl watch status`, and the Stop hook's nudge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit, wait_until

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
USER = "nudge-user"


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    """One daemon for the module, learning for one configured user; each test has its own agent and transcript.

    The watcher is off, so only the explicit ingest and the hook's nudge bring transcripts in.
    """
    with private_daemon(f'user_id = "{USER}"\n[watch]\non = false\n') as module_daemon:
        yield module_daemon


def learned_from(daemon: DaemonProcess, agent: str) -> list[dict]:
    return daemon.client.get_all(filters={"user_id": USER, "agent_id": agent})["results"]


def test_memctl_ingest_backfills_and_watch_status_lists_the_file(daemon: DaemonProcess, tmp_path):
    transcript = tmp_path / "agent-log.jsonl"
    transcript.write_text(
        json.dumps({"role": "user", "content": "I am allergic to shellfish and carry an EpiPen", "session_id": "g"})
        + "\n" + json.dumps({"role": "user", "content": "thanks, that's all for now!", "session_id": "g"}) + "\n"
        + "{corrupt line\n")
    run = subprocess.run([MEMCTL, "ingest", str(transcript), "--agent", "generic", "--wait", "--json"],
                         env=daemon.env, capture_output=True, text=True, timeout=ready_limit())
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["records"] >= 2 and report["corrupt"] == 1 and report["added"] >= 1
    learned = learned_from(daemon, "generic")
    assert any("shellfish" in m["memory"].lower() for m in learned)
    assert not any("thanks" in m["memory"].lower() for m in learned)
    status = json.loads(subprocess.run([MEMCTL, "watch", "status", "--json"], env=daemon.env,
                                       capture_output=True, text=True, timeout=ready_limit()).stdout)
    row = next(f for f in status["files"] if f["path"] == str(transcript))
    assert row["offset"] == transcript.stat().st_size and row["corrupt"] == 1


def test_claude_stop_hook_nudges_ingestion_of_the_transcript(daemon: DaemonProcess, tmp_path):
    transcript = tmp_path / "session-7.jsonl"
    transcript.write_text(json.dumps({"type": "user", "sessionId": "session-7", "uuid": "u1", "cwd": "/p",
                                      "message": {"role": "user", "content": "My daughter Ines is 7 and loves chess"}})
                          + "\n")
    event = {"session_id": "session-7", "transcript_path": str(transcript), "cwd": "/p", "hook_event_name": "Stop"}
    hook = subprocess.run([sys.executable, "-I", "-m", "sidecar_integrations.hooks", "claude-code", "Stop"],
                          input=json.dumps(event), env=daemon.env, capture_output=True, text=True,
                          timeout=ready_limit())
    assert hook.returncode == 0
    # the nudge does not wait for the judge: the memory appears when the queued job is done
    learned = wait_until(lambda: learned_from(daemon, "claude-code"), interval=0.2,
                         what="the nudged transcript to be learned")
    assert "chess" in learned[0]["memory"].lower()
    assert learned[0]["metadata"]["session_id"] == "session-7"


def test_the_stop_hook_learns_for_the_user_it_reads_context_for(daemon: DaemonProcess, tmp_path):
    transcript = tmp_path / "session-8.jsonl"
    transcript.write_text(json.dumps({"type": "user", "sessionId": "session-8", "uuid": "u8", "cwd": "/p",
                                      "message": {"role": "user", "content": "My cat Pixel is afraid of vacuum cleaners"}})
                          + "\n")
    event = {"session_id": "session-8", "transcript_path": str(transcript), "cwd": "/p", "hook_event_name": "Stop"}
    hook = subprocess.run([sys.executable, "-I", "-m", "sidecar_integrations.hooks", "claude-code", "Stop"],
                          input=json.dumps(event), env={**daemon.env, "SIDECAR_USER": "hook-alice"},
                          capture_output=True, text=True, timeout=ready_limit())
    assert hook.returncode == 0
    learned = wait_until(lambda: daemon.client.get_all(filters={"user_id": "hook-alice"})["results"], interval=0.2,
                         what="the nudged transcript to be learned for hook-alice")
    assert "pixel" in learned[0]["memory"].lower()
    assert not any("pixel" in m["memory"].lower() for m in learned_from(daemon, "claude-code"))  # not the default user
