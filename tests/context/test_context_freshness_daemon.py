"""Through a real daemon: what a user says or writes reaches the injected context.

A memory added a moment ago is in the very next ``context`` (no debounce wait); Direct mode
injects the whole MEMORY.md, the user's own notes included; every injected memory carries
when it was learned or changed and where from; a durable fact said in a session is a memory
(and in the context) once the session gate's counter says the turn was judged; MEMORY.md
edits made while the daemon was stopped are applied at the next start, with provenance.
One home, started twice (the restart is the point of the last test)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, running_daemon, short_home, write_config
from sidecar.testing.waiting import wait_until
from sidecar_shared.markers import MANAGED_END

CONFIG = "[watch]\non = false\n[context]\nmd_debounce_s = 0.2\n"
STAMP = r"\((?:updated )?\d{4}-\d{2}-\d{2}, [^)]+\)"


@pytest.fixture(scope="module")
def home() -> Path:
    home = short_home("scf-")
    (home / "user-home").mkdir()
    write_config(home, CONFIG)
    return home


@pytest.fixture(scope="module")
def daemon(home: Path) -> Iterator[DaemonProcess]:
    with running_daemon(home, env={"HOME": str(home / "user-home")}) as running:
        yield running


def memory_md(daemon: DaemonProcess, user: str) -> Path:
    return daemon.paths.data_dir / "memory" / user / "MEMORY.md"


def test_context_right_after_add_includes_the_memory_with_its_date(daemon: DaemonProcess) -> None:
    client = daemon.client
    client.add("I drink my coffee black", user_id="fresh")
    context = client.call("context", {"query": "How do I take my coffee?", "user_id": "fresh"})
    assert context["mode"] == "direct"
    line = next(line for line in context["text"].split("\n") if "coffee black" in line)
    assert re.fullmatch(r"- I drink my coffee black " + STAMP, line), line
    assert line.endswith(", added)")  # an explicit add, not learned by the gate


def test_direct_mode_injects_the_users_own_notes(daemon: DaemonProcess) -> None:
    client, user = daemon.client, "notes"
    client.add("I am vegetarian", user_id=user)
    path = memory_md(daemon, user)
    wait_until(lambda: path.exists() and "vegetarian" in path.read_text(), what="MEMORY.md rendered")
    path.write_text("Hand-written: my landlord is called Ines.\n\n" + path.read_text())
    context = wait_until(lambda: (c := daemon.client.call("context", {"query": "q", "user_id": user}))
                         and "landlord is called Ines" in c["text"] and c, what="the edited file in context")
    assert context["mode"] == "direct" and "I am vegetarian" in context["text"]
    assert "mem:" not in context["text"] and "agent-memory:begin" not in context["text"]


def test_a_fact_said_in_a_session_is_in_the_next_context(daemon: DaemonProcess) -> None:
    client = daemon.client
    before = client.status()["ingest"]["session_turns"]
    reply = client.call("session.update", {"session_id": "s1", "user_id": "talker", "messages": [
        {"role": "user", "content": "I am severely allergic to shellfish."}]})
    assert reply["queued"] == 1 and client.status()["context"]["gate"] == "connected"
    turns = wait_until(lambda: (s := client.status()["ingest"]["session_turns"])["learned"] + s["failed"]
                       > before["learned"] + before["failed"] and s, what="the session turn judged")
    assert turns["failed"] == before["failed"]
    text = client.call("context", {"query": "What can't I eat?", "user_id": "talker"})["text"]
    line = next(line for line in text.split("\n") if "shellfish" in line.lower())
    assert re.search(STAMP + "$", line) and line.endswith(", session)")


def test_edits_made_while_stopped_are_applied_at_start(home: Path, daemon: DaemonProcess) -> None:
    client, user = daemon.client, "offline"
    kept = client.add("I work at Siemens", user_id=user)["results"][0]["id"]
    path = memory_md(daemon, user)
    wait_until(lambda: path.exists() and "Siemens" in path.read_text(), what="MEMORY.md rendered")
    daemon.stop()

    edited = path.read_text().replace("I work at Siemens", "I work at Bosch")
    edited = edited.replace(MANAGED_END, "- I have two cats\n" + MANAGED_END)
    path.write_text(edited)
    with running_daemon(home, env={"HOME": str(home / "user-home")}) as again:
        client = again.client
        client.add("I like jazz", user_id=user)
        wait_until(lambda: client.get(kept)["memory"] == "I work at Bosch", what="the offline update applied")
        row = client.get(kept)
        assert row["metadata"]["last_edit"] == "MEMORY.md, edited while the daemon was stopped"
        events = [(r["event"], r["old_memory"], r["new_memory"]) for r in client.history(kept)]
        assert ("UPDATE", "I work at Siemens", "I work at Bosch") in events
        cats = wait_until(lambda: [m for m in client.get_all(filters={"user_id": user})["results"]
                                   if m["memory"] == "I have two cats"], what="the offline add applied")
        assert cats[0]["metadata"]["source"] == "MEMORY.md"
        wait_until(lambda: "I like jazz" in path.read_text(), what="re-rendered")
        text = path.read_text()
        assert "I work at Bosch" in text and "I have two cats <!-- mem:" in text and "Siemens" not in text
        context = client.call("context", {"query": "where do I work", "user_id": user})["text"]
        assert re.search(r"- I work at Bosch \(updated \d{4}-\d{2}-\d{2}, MEMORY\.md\)", context)
