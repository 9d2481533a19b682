"""The three-session showcase end to end, and its HTML page in headless Chromium (no network)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sidecar.testing.ollama_server import FakeOllamaServer

from sidecar.testing.waiting import ready_limit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SHOWCASE = [sys.executable, "-m", "sidecar_examples.showcase"]


def dump_dom(page: Path, *extra: str) -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="showcase-chromium-")
    try:
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--no-first-run",
                               f"--user-data-dir={profile}", *extra, "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=ready_limit())
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    # only what was rendered: the embedded run-log JSON would otherwise satisfy the text checks on its own
    return re.sub(r"<script\b.*?</script>", "", done.stdout, flags=re.DOTALL)


def assert_no_external_references(html: str) -> None:
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(?!#)""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html and "fetch(" not in html and "XMLHttpRequest" not in html


@pytest.mark.slow
def test_showcase_with_a_private_daemon_and_a_streaming_model(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "SIDECAR_HOME"}
    with FakeOllamaServer(models=["llama3.2:1b"], stream_pieces=["Try ", "the quiet ", "Thai ", "place ", "(no peanuts)."]) as fake:
        done = subprocess.run([*SHOWCASE, "--out", str(out), "--ollama", "--ollama-url", fake.base_url],
                              capture_output=True, text=True, env=env, timeout=ready_limit())
        chats = fake.chat_requests()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = json.loads((out / "run-log.json").read_text())
    store, alice, bob = log["sessions"]

    pids = {store["pid"], alice["pid"], bob["pid"], log["daemon"]["pid"], log["orchestrator_pid"]}
    assert len(pids) == 5 and log["daemon"]["private"] and log["daemon"]["exit_code"] == 0
    assert not Path(log["daemon"]["sidecar_home"]).exists()  # the private store is removed (--keep keeps it)
    assert "[session 2 · PID" in done.stdout and "[session 3 · PID" in done.stdout
    alice_ids = {row["id"] for row in store["rows"]}
    assert len(alice_ids) == 4
    assert alice_ids <= {hit["id"] for hit in alice["trace"]}
    assert all(isinstance(hit["score"], float) and hit["user_id"] == "alice" for hit in alice["trace"])
    assert bob["trace"] and not ({hit["id"] for hit in bob["trace"]} & alice_ids)
    assert [hit["id"] for hit in bob["trace"]] == [bob["planted"]["id"]]
    assert all(log["checks"].values())

    assert alice["reply"] == "Try the quiet Thai place (no peanuts)." and len(alice["reply_tokens"]) == 5
    assert len(chats) == 2  # alice's and bob's sessions, each streamed
    assert "I am allergic to peanuts" in chats[0]["messages"][0]["content"]
    assert "peanuts" not in chats[1]["messages"][0]["content"]  # bob's prompt holds none of alice's facts

    html = (out / "showcase.html").read_text()
    assert_no_external_references(html)
    for dom in (dump_dom(out / "showcase.html"),
                dump_dom(out / "showcase.html", "--host-resolver-rules=MAP * ~NOTFOUND")):
        assert 'data-rendered="complete"' in dom
        for session in (store, alice, bob):
            assert f"PID {session['pid']}" in dom
        for row in store["rows"]:
            assert row["id"] in dom and row["memory"] in dom
        assert "Try the quiet Thai place (no peanuts)." in dom


@pytest.mark.slow
def test_showcase_without_a_model_shows_the_exact_prompt(daemon, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([*SHOWCASE, "--out", str(out), "--use-running", "--no-ollama"],
                          capture_output=True, text=True, env=daemon.env,
                          timeout=ready_limit())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = json.loads((out / "run-log.json").read_text())
    assert log["daemon"] == {"pid": daemon.pid, "private": False, "sidecar_home": str(daemon.home), "exit_code": None}
    alice = log["sessions"][1]
    assert alice["reply"] is None and "I am vegetarian and never eat meat" in alice["messages"][0]["content"]
    dom = dump_dom(out / "showcase.html")
    assert "no model was available" in dom.lower()
    assert "I am vegetarian and never eat meat" in dom and "any ideas for somewhere to eat tonight?" in dom
