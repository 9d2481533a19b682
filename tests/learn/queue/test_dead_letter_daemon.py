"""An Ollama judge answering invalid JSON: bounded retries, the dead letter in status and doctor, and
``memctl queue list|retry|drop`` through a real daemon and the stand-in Ollama server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sidecar.testing.ollama_server import FakeOllamaServer
from sidecar.testing.daemons import DaemonProcess, running_daemon, write_config
from sidecar.testing.waiting import ready_limit, wait_until

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
MAX_ATTEMPTS = 3
MARKER = "Zorblax"


def memctl(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *args], env=daemon.env, capture_output=True, text=True, timeout=ready_limit())


def memctl_json(daemon: DaemonProcess, *args: str) -> Any:
    result = memctl(daemon, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def generic(text: str) -> str:
    return json.dumps({"role": "user", "content": text, "session_id": "g1"}) + "\n"


def verdict(fact: str) -> dict[str, Any]:
    return {"memorize": True, "kind": "personal_fact", "facts": [fact], "confidence": 0.9,
            "reasons": {"factuality": "a fact", "stability": "lasting", "reuse": "useful"}}


def dead_letter(daemon: DaemonProcess) -> dict[str, Any]:
    return daemon.client.status()["ingest"]["dead_letter"]


def queue_file_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (home / "data" / "ingest").glob("queue.db*"))


@pytest.mark.slow
def test_invalid_json_is_retried_a_bounded_number_of_times_then_dead_lettered(isolated_home: Path,
                                                                               tmp_path: Path) -> None:
    transcript = tmp_path / "chat.jsonl"
    with FakeOllamaServer() as fake:
        fake.state.mode = "malformed"
        write_config(isolated_home, f'user_id = "ana"\n[watch]\non = false\n[ollama]\nurl = "{fake.base_url}"\n'
                                    '[gate]\nbackend = "ollama"\nreconciler = "embedded"\nmodel = "qwen2.5:1.5b"\n'
                                    f'retry_base_s = 0.05\nretry_max_s = 0.1\nmax_attempts = {MAX_ATTEMPTS}\n')
        with running_daemon(isolated_home) as daemon:
            transcript.write_text(generic("I live in Oslo.") + generic(f"I keep a pet iguana named {MARKER}."))
            daemon.client.ingest([str(transcript)], agent="generic")
            wait_until(lambda: dead_letter(daemon)["count"] == 2, what="both jobs in the dead letter")
            asked = len(fake.chat_requests())
            assert asked == 2 * MAX_ATTEMPTS  # bounded, and each call carried the output cap
            assert all(body["options"]["num_predict"] <= 512 for body in fake.chat_requests())

            status = daemon.client.status()["ingest"]
            assert status["queue"]["failed"] == 2 and status["queue"]["pending"] == 0
            assert status["worker"]["dead_lettered"] == 2
            from sidecar_cli.doctor import check_dead_letter

            check = check_dead_letter(daemon.client.status())
            assert check.status == "warn" and "2 transcript job(s)" in check.detail and "memctl queue" in check.fix
            doctor = memctl(daemon, "doctor")
            assert "dead letter" in doctor.stdout and "memctl queue retry --all" in doctor.stdout

            listed = memctl_json(daemon, "queue", "list")
            assert [job["failures"] for job in listed["jobs"]] == [MAX_ATTEMPTS, MAX_ATTEMPTS]
            assert all("JudgeReplyInvalid" in job["error"] for job in listed["jobs"])
            oslo, iguana = listed["jobs"]
            assert "Oslo" in oslo["preview"] and "memctl queue retry" in memctl(daemon, "queue", "list").stdout

            # the user drops one: its text leaves queue.db
            dropped = memctl_json(daemon, "queue", "drop", str(iguana["id"]))
            assert dropped["dropped"] == 1 and dropped["dead_letter"] == 1
            wait_until(lambda: MARKER.encode() not in queue_file_bytes(isolated_home),
                       what="the dropped text to leave queue.db and its log")

            # the model is fixed: retry the rest, it is learned, and its text leaves queue.db too
            fake.state.mode = "ok"
            fake.state.chat_replies.append(verdict("Lives in Oslo"))
            retried = memctl_json(daemon, "queue", "retry", "--all")
            assert retried["retried"] == 1 and retried["job_ids"] == [oslo["id"]]
            wait_until(lambda: daemon.client.status()["ingest"]["queue"]["done"] == 1, what="the retried job")
            stored = daemon.client.call("get_all", {"filters": {"user_id": "ana"}})["results"]
            assert [m["memory"] for m in stored] == ["Lives in Oslo"]
            assert dead_letter(daemon)["count"] == 0 and memctl_json(daemon, "queue", "list")["jobs"] == []
            assert len(fake.chat_requests()) == asked + 1  # dead jobs were not asked again on their own
            wait_until(lambda: b"I live in Oslo" not in queue_file_bytes(isolated_home),
                       what="the finished job's text to leave queue.db")
            assert check_dead_letter(daemon.client.status()).status == "ok"

            usage = memctl(daemon, "queue", "retry")
            assert usage.returncode == 2 and "--all" in usage.stderr


def test_queue_ops_check_their_arguments(shared_daemon: DaemonProcess) -> None:
    from sidecar_shared.errors import RequestFailed

    for op, args in [("queue.retry", {}), ("queue.retry", {"all": True, "job_ids": [1]}),
                     ("queue.drop", {"job_ids": ["1"]}), ("queue.drop", {"job_ids": []}),
                     ("queue.list", {"which": "everything"}), ("queue.list", {"limit": 0})]:
        with pytest.raises(RequestFailed) as caught:
            shared_daemon.client.call(op, args)
        assert caught.value.code == "bad_request", (op, args)
    assert shared_daemon.client.call("queue.drop", {"job_ids": [123456]}) == {"dropped": 0, "job_ids": [],
                                                                             "dead_letter": 0}
