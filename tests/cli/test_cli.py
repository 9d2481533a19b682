"""memctl as a user runs it: a separate process per command, against a real daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sidecar.testing.waiting import ready_limit
from sidecar_shared import exitcodes

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")


def memctl(daemon, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *args], env=daemon.env, capture_output=True, text=True, timeout=ready_limit())


def test_add_search_list_get_update_history_forget(shared_daemon):
    added = json.loads(memctl(shared_daemon, "add", "I am allergic to peanuts", "--user", "cli-alice",
                              "--json").stdout)
    memory_id = added["results"][0]["id"]
    text = memctl(shared_daemon, "search", "dinner ideas?", "--user", "cli-alice")
    assert text.returncode == 0 and "I am allergic to peanuts" in text.stdout and "fused" in text.stdout
    hits = json.loads(memctl(shared_daemon, "search", "nut allergy", "--user", "cli-alice", "--json").stdout)
    assert hits["results"][0]["id"] == memory_id and hits["results"][0]["score"] > 0.3
    listed = json.loads(memctl(shared_daemon, "list", "--user", "cli-alice", "--json").stdout)
    assert [m["id"] for m in listed["results"]] == [memory_id]
    assert json.loads(memctl(shared_daemon, "get", memory_id, "--json").stdout)["memory"] == "I am allergic to peanuts"
    assert memctl(shared_daemon, "update", memory_id, "I am allergic to peanuts and cashews").returncode == 0
    history = json.loads(memctl(shared_daemon, "history", memory_id, "--json").stdout)
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == "I am allergic to peanuts"
    assert "cashews" in memctl(shared_daemon, "history", memory_id).stdout
    assert memctl(shared_daemon, "forget", memory_id).returncode == 0
    missing = memctl(shared_daemon, "get", memory_id)
    assert missing.returncode == exitcodes.ERROR and "not found" in missing.stderr


def test_users_are_separate_from_the_command_line(shared_daemon):
    memctl(shared_daemon, "add", "I keep koi fish", "--user", "cli-carol")
    other = json.loads(memctl(shared_daemon, "search", "koi fish pond", "--user", "cli-dave", "--json").stdout)
    assert other["results"] == []


def test_forget_all_needs_a_scope_and_deletes_only_it(shared_daemon):
    memctl(shared_daemon, "add", "I play the oboe", "--user", "cli-erin")
    memctl(shared_daemon, "add", "I play the tuba", "--user", "cli-frank")
    refused = memctl(shared_daemon, "forget", "--all", "--yes")
    assert refused.returncode == 2 and "--user" in refused.stderr
    assert memctl(shared_daemon, "forget", "--all", "--user", "cli-erin", "--yes").returncode == 0
    assert json.loads(memctl(shared_daemon, "list", "--user", "cli-erin", "--json").stdout)["results"] == []
    assert len(json.loads(memctl(shared_daemon, "list", "--user", "cli-frank", "--json").stdout)["results"]) == 1


def test_errors_are_one_line_with_nonzero_exit(shared_daemon):
    bad = memctl(shared_daemon, "search", "x", "--user", "cli-alice", "--top-k", "0")
    assert bad.returncode == 2  # click rejects it before any request
    meta = memctl(shared_daemon, "add", "x y z", "--metadata", "[1]")
    assert meta.returncode == 2 and "JSON object" in meta.stderr
    unknown = memctl(shared_daemon, "update", "no-such-id", "text")
    assert unknown.returncode == exitcodes.ERROR and len(unknown.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command, code", [(["status"], 0), (["list"], 0), (["search", "q"], 0),
                                           (["history", "no-such-id"], exitcodes.ERROR)])
def test_every_command_has_json_output(shared_daemon, command, code):
    result = memctl(shared_daemon, *command, "--json")
    assert result.returncode == code, result.stderr
    json.loads(result.stdout)  # errors too: {"ok": false, "error": {...}}


def test_search_and_list_narrow_to_one_project(shared_daemon):
    memctl(shared_daemon, "add", "Project shop uses pnpm", "--user", "cli-pia", "--metadata", '{"project": "shop"}')
    memctl(shared_daemon, "add", "Project blog uses npm", "--user", "cli-pia", "--metadata", '{"project": "blog"}')
    found = json.loads(memctl(shared_daemon, "search", "package manager", "--user", "cli-pia", "--project", "shop",
                              "--json").stdout)
    assert [r["memory"] for r in found["results"]] == ["Project shop uses pnpm"]
    listed = json.loads(memctl(shared_daemon, "list", "--user", "cli-pia", "--project", "blog", "--json").stdout)
    assert [r["memory"] for r in listed["results"]] == ["Project blog uses npm"]
