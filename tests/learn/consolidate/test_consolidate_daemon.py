"""``memctl consolidate`` through the real daemon: the plan, the run, history, and scopes left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit
from sidecar_shared.errors import RequestFailed

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
# oldest first: each is added on its own, so the store's times order them
ANN = ["Lives in Oslo", "Drinks espresso every morning", "Project Wen22 uses Rust", "Takes 50 mg sertraline daily",
       "Project Chen2 uses Rust", "Uses Python 3.11", "Lives in Bergen", "Drinks espresso each morning",
       "Takes 100 mg sertraline daily", "Uses Python 3.12"]
ANN_AFTER = {"Project Wen22 uses Rust", "Project Chen2 uses Rust", "Uses Python 3.11", "Uses Python 3.12",
             "Lives in Bergen", "Drinks espresso each morning", "Takes 100 mg sertraline daily"}
BOB = ["Lives in Oslo", "Lives in Bergen", "Drinks espresso every morning", "Drinks espresso each morning"]


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon("[watch]\non = false\n", prefix="scn-") as running:
        for text in ANN:
            running.client.add(text, user_id="cons-ann")
        running.client.add("Lives in Oslo", user_id="cons-ann", agent_id="codex")  # a narrower scope
        for text in BOB:
            running.client.add(text, user_id="cons-bob")
        yield running


def memctl(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *args], env=daemon.env, capture_output=True, text=True, timeout=ready_limit())


def rows(daemon: DaemonProcess, user: str) -> dict[str, tuple[str, str | None]]:
    found = daemon.client.get_all(filters={"user_id": user}, top_k=1000)["results"]
    return {r["id"]: (r["memory"], r.get("agent_id")) for r in found}


def test_dry_run_prints_the_plan_and_the_run_applies_it(daemon: DaemonProcess) -> None:
    before, bob = rows(daemon, "cons-ann"), rows(daemon, "cons-bob")
    shown = memctl(daemon, "consolidate", "--user", "cons-ann", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert "keep" in shown.stdout and "would delete" in shown.stdout and "because" in shown.stdout
    assert "Lives in Bergen" in shown.stdout and "dry run: nothing changed" in shown.stdout
    plan = json.loads(memctl(daemon, "consolidate", "--user", "cons-ann", "--dry-run", "--json").stdout)
    planned = {d["memory"]: d["reason"] for g in plan["groups"] for d in g["delete"]}
    assert set(planned) == {"Lives in Oslo", "Drinks espresso every morning", "Takes 50 mg sertraline daily"}
    assert "Lives in Bergen" in planned["Lives in Oslo"] and plan["deleted"] == 0
    assert rows(daemon, "cons-ann") == before  # the dry run changed nothing

    done = json.loads(memctl(daemon, "consolidate", "--user", "cons-ann", "--json").stdout)
    assert done["deleted"] == 3 and not done["dry_run"]
    after = rows(daemon, "cons-ann")
    assert {text for text, agent in after.values() if agent is None} == ANN_AFTER
    assert [text for text, agent in after.values() if agent == "codex"] == ["Lives in Oslo"]  # another scope
    assert rows(daemon, "cons-bob") == bob  # another user: untouched

    oslo = next(g["delete"][0]["id"] for g in done["groups"] if g["survivor"]["memory"] == "Lives in Bergen")
    history = daemon.client.history(oslo)
    assert [h["event"] for h in history] == ["ADD", "DELETE"] and history[-1]["old_memory"] == "Lives in Oslo"
    assert (history[-1]["provenance"] or {}).get("source") == "consolidate"
    again = daemon.client.call("consolidate", {"user_id": "cons-ann"})
    assert again["planned"] == 0 and rows(daemon, "cons-ann") == after


def test_bad_input_gets_a_clear_error_and_the_daemon_stays_up(daemon: DaemonProcess) -> None:
    with pytest.raises(RequestFailed) as missing:
        daemon.client.call("consolidate", {"dry_run": True})
    assert missing.value.code == "missing_scope"
    with pytest.raises(RequestFailed) as wrong:
        daemon.client.call("consolidate", {"user_id": "cons-bob", "dry_run": "yes"})
    assert wrong.value.code == "bad_request" and "dry_run" in wrong.value.message
    empty = daemon.client.call("consolidate", {"user_id": "cons-nobody"})  # answered: the daemon is up
    assert empty["memories"] == 0 and empty["groups"] == []
    assert len(rows(daemon, "cons-bob")) == len(BOB)  # the refused requests changed nothing
