"""memctl against a real daemon: printed ids work, missing ids fail, restore undoes, rough edges are smooth.

One daemon for the module (watcher off); each test uses its own user so they do not see each other's memories.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon('user_id = "cli-default"\n[watch]\non = false\n') as module_daemon:
        yield module_daemon


def memctl(daemon: DaemonProcess, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *argv], env=daemon.env, capture_output=True, text=True, input=stdin,
                          timeout=ready_limit())


def added_prefix(daemon: DaemonProcess, text: str, user: str) -> str:
    """The 8-character id `memctl add` prints."""
    run = memctl(daemon, "add", text, "--user", user)
    assert run.returncode == 0, run.stderr
    event, prefix = run.stdout.split()[:2]
    assert event == "ADD" and len(prefix) == 8
    return prefix


def test_the_printed_id_works_for_get_update_history_and_forget(daemon):
    prefix = added_prefix(daemon, "I keep bees on the roof", "ids")
    shown = memctl(daemon, "get", prefix)
    assert shown.returncode == 0 and "I keep bees on the roof" in shown.stdout
    assert "None" not in shown.stdout  # fields without a value are left out
    assert daemon.client.get(prefix)["id"].startswith(prefix)  # the client library takes prefixes too

    updated = memctl(daemon, "update", prefix, "I keep two hives on the roof")
    assert updated.returncode == 0 and prefix in updated.stdout and "two hives" in updated.stdout
    history = memctl(daemon, "history", prefix)
    assert history.returncode == 0 and "UPDATE" in history.stdout and "written directly" in history.stdout

    forgot = memctl(daemon, "forget", prefix)
    assert forgot.returncode == 0 and prefix in forgot.stdout
    assert memctl(daemon, "get", prefix).returncode == 1
    assert "DELETE" in memctl(daemon, "history", prefix).stdout  # a deleted memory keeps its history


@pytest.mark.parametrize("argv", [["get", "0badc0de"], ["update", "0badc0de", "x"], ["forget", "0badc0de"],
                                  ["history", "0badc0de"], ["restore", "0badc0de"]])
def test_an_id_that_does_not_exist_exits_non_zero_with_one_line(daemon, argv):
    run = memctl(daemon, *argv)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "0badc0de" in run.stderr
    as_json = memctl(daemon, *argv, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["error"]["code"] == "not_found"


def test_restore_undoes_an_update_then_brings_back_a_deleted_memory(daemon):
    prefix = added_prefix(daemon, "My car is a blue Volvo", "restorer")
    memctl(daemon, "update", prefix, "My car is a red Fiat")
    undone = memctl(daemon, "restore", prefix)
    assert undone.returncode == 0, undone.stderr
    assert daemon.client.get(prefix)["memory"] == "My car is a blue Volvo"
    events = [row["event"] for row in daemon.client.history(prefix)]
    assert events == ["ADD", "UPDATE", "UPDATE"]  # the restore is itself a line of history

    memctl(daemon, "forget", prefix)
    back = memctl(daemon, "restore", prefix, "--user", "restorer", "--json")
    assert back.returncode == 0, back.stderr
    result = json.loads(back.stdout)
    assert result["undid"] == "DELETE" and result["restored_from"].startswith(prefix)
    texts = [m["memory"] for m in daemon.client.get_all(filters={"user_id": "restorer"})["results"]]
    assert texts == ["My car is a blue Volvo"]


def test_bad_metadata_is_one_line_and_a_usage_exit(daemon):
    run = memctl(daemon, "add", "x", "--metadata", "{bad")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0 and "--metadata" in run.stderr
    as_json = memctl(daemon, "add", "x", "--metadata", "[1]", "--json")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"]["code"] == "bad_input"


def test_forget_all_counts_and_asks_in_words_and_list_says_when_it_truncates(daemon):
    for text in ("I drink oat milk", "I run on Sundays", "I speak Danish"):
        added_prefix(daemon, text, "edges")
    listed = memctl(daemon, "list", "--user", "edges", "-n", "2")
    assert listed.returncode == 0 and "showing the first 2" in listed.stdout
    declined = memctl(daemon, "forget", "--all", "--user", "edges", stdin="n\n")
    assert "{" not in declined.stdout and "user edges" in declined.stdout
    assert len(daemon.client.get_all(filters={"user_id": "edges"})["results"]) == 3
    gone = memctl(daemon, "forget", "--all", "--user", "edges", "--yes")
    assert gone.returncode == 0 and "deleted 3 memories" in gone.stdout
    assert "deleted 0 memories" in memctl(daemon, "forget", "--all", "--user", "edges", "--yes").stdout


def test_search_names_its_score_columns_and_thresholds_on_closeness(daemon):
    added_prefix(daemon, "My favourite fruit is mango", "scores")
    added_prefix(daemon, "The printer on floor two is broken", "scores")
    run = memctl(daemon, "search", "which fruit do I like", "--user", "scores")
    header = run.stdout.splitlines()[0].split()
    assert header[:3] == ["fused", "dense", "keyword"]
    strict = json.loads(memctl(daemon, "search", "which fruit do I like", "--user", "scores", "--threshold",
                               "0.55", "--json").stdout)["results"]
    assert [m["memory"] for m in strict] == ["My favourite fruit is mango"]
    assert all(m["score_details"]["dense"] >= 0.55 for m in strict)


def test_ingest_wait_counts_every_fact_it_added(daemon, tmp_path):
    transcript = tmp_path / "facts.jsonl"
    facts = ["I am allergic to peanuts", "My sister Maja lives in Oslo", "I work as a nurse at the city hospital"]
    transcript.write_text("".join(json.dumps({"role": "user", "content": f, "session_id": "s"}) + "\n"
                                  for f in facts))
    run = memctl(daemon, "ingest", str(transcript), "--agent", "generic", "--wait", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    stored = daemon.client.get_all(filters={"user_id": "cli-default", "agent_id": "generic"})["results"]
    assert report["pending"] == 0 and stored, (report, daemon.client.get_all(filters={"user_id": "cli-default"}))
    assert report["added"] + report["updated"] == len(stored)
    why = memctl(daemon, "history", stored[0]["id"][:8])  # the human table says where the fact came from
    assert why.returncode == 0 and "facts.jsonl:" in why.stdout and "generic" in why.stdout and "judge:" in why.stdout


def test_shell_completion_as_the_readme_documents_it():
    env = {**os.environ, "_MEMCTL_COMPLETE": "bash_source"}
    script = subprocess.run([MEMCTL], env=env, capture_output=True, text=True, timeout=ready_limit())
    assert "complete -o nosort -F _memctl_completion memctl" in script.stdout
    env = {**os.environ, "_MEMCTL_COMPLETE": "bash_complete", "COMP_WORDS": "memctl res", "COMP_CWORD": "1"}
    words = subprocess.run([MEMCTL], env=env, capture_output=True, text=True, timeout=ready_limit()).stdout
    assert "plain,restore" in words.splitlines()
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"), encoding="utf-8").read()
    assert '_MEMCTL_COMPLETE=bash_source memctl' in readme and "Where the store lives" in readme
