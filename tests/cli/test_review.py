"""``memctl review`` as a user runs it: a process per command, against a daemon in review mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit
from sidecar_shared import exitcodes

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
CONFIG = '[watch]\non = false\n[gate]\nmode = "review"\n'


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon(CONFIG, prefix="scr-") as running:
        yield running


def memctl(daemon: DaemonProcess, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *args], env=daemon.env, capture_output=True, text=True, input=stdin,
                          timeout=ready_limit())


def hold(daemon: DaemonProcess, user: str, *texts: str) -> list[str]:
    """Have the gate hold each text for review; the ids of the items, in order."""
    return [item["id"] for item in held(daemon, user, *texts)]


def held(daemon: DaemonProcess, user: str, *texts: str) -> list[dict]:
    """Have the gate hold each text for review; the items (``id`` and the proposed ``memory``), in order."""
    items = []
    for text in texts:
        (result,) = daemon.client.add(text, user_id=user, infer=True)["results"]
        assert result["event"] == "REVIEW", (text, result)
        items.append(result)
    return items


def memories(daemon: DaemonProcess, user: str) -> list[str]:
    return sorted(m["memory"] for m in daemon.client.get_all(filters={"user_id": user})["results"])


def test_list_accept_with_an_edit_and_reject_by_id_prefix(daemon: DaemonProcess) -> None:
    tea, toronto = hold(daemon, "cli-ann", "I drink green tea every morning.", "My sister lives in Toronto.")
    listed = json.loads(memctl(daemon, "review", "--user", "cli-ann", "--json").stdout)
    assert [i["id"] for i in listed["items"]] == [tea, toronto] and listed["total"] == 2
    table = memctl(daemon, "review", "list", "--user", "cli-ann")
    assert table.returncode == 0 and tea[:8] in table.stdout and "Toronto" in table.stdout and "ADD" in table.stdout

    accepted = json.loads(memctl(daemon, "review", "accept", tea[:6], "--text", "Drinks green tea every morning",
                                 "--json").stdout)
    assert accepted["status"] == "accepted" and accepted["event"] == "ADD"
    rejected = memctl(daemon, "review", "reject", toronto)
    assert rejected.returncode == 0 and f"rejected {toronto[:8]}" in rejected.stdout
    assert memories(daemon, "cli-ann") == ["Drinks green tea every morning"]
    assert memctl(daemon, "review", "--user", "cli-ann").stdout.strip() == "(nothing to review)"


def test_all_accepts_or_rejects_every_pending_item_of_the_scope(daemon: DaemonProcess) -> None:
    hold(daemon, "cli-bob", "I work as a nurse in Lyon.", "I am severely allergic to peanuts.")
    hold(daemon, "cli-cat", "My brother lives in Lisbon.")
    done = json.loads(memctl(daemon, "review", "accept", "--all", "--user", "cli-bob", "--json").stdout)
    assert len(done["accepted"]) == 2 and done["failed"] == []
    assert len(memories(daemon, "cli-bob")) == 2 and daemon.client.review_count(user_id="cli-cat") == 1
    refused = memctl(daemon, "review", "reject", "--all", "--user", "cli-cat", stdin="n\n")
    assert refused.returncode != 0 and daemon.client.review_count(user_id="cli-cat") == 1
    assert memctl(daemon, "review", "reject", "--all", "--user", "cli-cat", "--yes").returncode == 0
    assert daemon.client.review_count(user_id="cli-cat") == 0 and memories(daemon, "cli-cat") == []


def test_interactive_walk_accepts_edits_rejects_and_skips(daemon: DaemonProcess) -> None:
    items = held(daemon, "cli-dan", "I live in Tromsø with my partner.",
                 "My daughter studies marine biology in Bergen.",
                 "I prefer pytest over unittest for every project.", "I keep bees in my garden.")
    walked = memctl(daemon, "review", "--interactive", "--user", "cli-dan",
                    stdin="a\nx\ne\nDaughter studies marine biology in Bergen\nr\ns\n")
    assert walked.returncode == 0, walked.stderr
    assert "[1/4] ADD" in walked.stdout and "said:" in walked.stdout
    assert "2 accepted, 1 rejected, 1 skipped, 0 failed" in walked.stdout
    assert memories(daemon, "cli-dan") == sorted(["Daughter studies marine biology in Bergen", items[0]["memory"]])
    (left,) = daemon.client.review_list(user_id="cli-dan")["items"]
    assert left["id"] == items[3]["id"]
    ended = memctl(daemon, "review", "--interactive", "--user", "cli-dan", stdin="")  # end of input: stop asking
    assert ended.returncode == 0 and daemon.client.review_count(user_id="cli-dan") == 1


def test_mistakes_are_one_line_and_status_shows_the_count(daemon: DaemonProcess) -> None:
    (item,) = hold(daemon, "cli-eve", "I play the cello in an orchestra.")
    short = memctl(daemon, "review", "accept", item[:5])
    assert short.returncode == exitcodes.ERROR and "at least 6" in short.stderr
    assert short.stderr.count("\n") == 1 and "Traceback" not in short.stderr
    assert memctl(daemon, "review", "accept").returncode == 2
    assert memctl(daemon, "review", "accept", "--all", "--text", "x").returncode == 2
    wrong_user = memctl(daemon, "review", "accept", item, "--user", "cli-fred")
    assert wrong_user.returncode == exitcodes.ERROR and "not found" in wrong_user.stderr
    status = memctl(daemon, "status")
    pending = daemon.client.review_count()
    assert status.returncode == 0 and f"review     {pending} facts waiting" in status.stdout and pending >= 1
    assert json.loads(memctl(daemon, "status", "--json").stdout)["review_pending"] == pending
