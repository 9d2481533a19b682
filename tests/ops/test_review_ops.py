"""Review mode through a real daemon: held facts are invisible until accepted; off sources learn nothing.

One daemon for the module, configured with ``[gate] mode = "review"``, ``generic = "off"`` and
``conversation = "auto"``; each test uses its own user id (transcripts all go to ``ana``, the
configured user, so those tests look at their own items only).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon, start_daemon, write_config, DaemonStartError
from sidecar.testing.waiting import wait_until
from sidecar_shared.errors import NotFound, RequestFailed

CONFIG = """user_id = "ana"
[watch]
on = false
[gate]
mode = "review"
[gate.sources]
generic = "off"
conversation = "auto"
"""


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon(CONFIG, prefix="srv-") as running:
        yield running


def claude_user(text: str, uuid: str) -> str:
    return json.dumps({"type": "user", "sessionId": "sess-r", "uuid": uuid, "cwd": "/work/proj",
                       "message": {"role": "user", "content": text}}) + "\n"


def items_about(daemon: DaemonProcess, word: str, **scope: str) -> list[dict]:
    listed = daemon.client.review_list(**(scope or {"user_id": "ana"}), limit=1000)["items"]
    return [i for i in listed if word in i["text"].lower()]


def stored_about(daemon: DaemonProcess, word: str, user: str) -> list[dict]:
    rows = daemon.client.get_all(filters={"user_id": user}, top_k=1000)["results"]
    return [m for m in rows if word in m["memory"].lower()]


def test_a_transcript_fact_waits_in_the_inbox_until_accepted(daemon: DaemonProcess, tmp_path: Path) -> None:
    transcript = tmp_path / "sess-r.jsonl"
    transcript.write_text(claude_user("I prefer pytest over unittest for every project.", "u1"))
    done = daemon.client.ingest([str(transcript)], agent="claude-code", wait=True)
    assert done["pending"] == 0 and done["failed"] == 0 and done["added"] == 0
    (item,) = items_about(daemon, "pytest")
    assert item["op"] == "ADD" and item["source"] == "claude-code" and item["agent_id"] == "claude-code"
    assert item["provenance"]["source"] == str(transcript) and item["provenance"]["line"] == 1
    assert item["provenance"]["session_id"] == "sess-r" and "pytest" in item["utterance"]
    # not a memory yet: not listed, not found, not injected
    assert stored_about(daemon, "pytest", "ana") == []
    hits = daemon.client.search("which test framework do I use?", filters={"user_id": "ana"})["results"]
    assert not any("pytest" in h["memory"].lower() for h in hits)
    context = daemon.client.call("context", {"query": "which test framework do I use?", "user_id": "ana"})
    assert "pytest" not in json.dumps(context).lower()

    accepted = daemon.client.review_accept(item["id"][:6])
    assert accepted["status"] == "accepted" and accepted["event"] == "ADD"
    memory = daemon.client.get(accepted["memory_id"])
    assert "pytest" in memory["memory"].lower() and memory["user_id"] == "ana"
    assert memory["metadata"]["review"] == "accepted" and memory["metadata"]["line"] == 1
    (history,) = daemon.client.history(accepted["memory_id"])
    assert history["event"] == "ADD" and history["provenance"]["decision"].endswith("accepted in review")
    assert history["provenance"]["source"] == str(transcript) and history["provenance"]["line"] == 1
    hits = daemon.client.search("which test framework do I use?", filters={"user_id": "ana"})["results"]
    assert hits and hits[0]["id"] == accepted["memory_id"]
    assert items_about(daemon, "pytest") == []
    with pytest.raises(RequestFailed, match="accepted already"):
        daemon.client.review_accept(item["id"])


def test_an_off_source_learns_nothing_while_an_auto_source_still_learns(daemon: DaemonProcess, tmp_path: Path) -> None:
    transcript = tmp_path / "chat.jsonl"
    transcript.write_text(json.dumps({"role": "user", "content": "I am severely allergic to peanuts.",
                                      "session_id": "g1"}) + "\n")
    before = daemon.client.review_count()
    done = daemon.client.ingest([str(transcript)], agent="generic", wait=True)
    assert done["queued"] == 1 and done["processed"] == 1 and done["added"] == 0 and done["failed"] == 0
    assert stored_about(daemon, "peanut", "ana") == [] and items_about(daemon, "peanut") == []
    assert daemon.client.review_count() == before

    learned = daemon.client.add("I am severely allergic to peanuts.", user_id="bo", infer=True)
    assert [r["event"] for r in learned["results"]] == ["ADD"]
    assert stored_about(daemon, "peanut", "bo") and daemon.client.review_count(user_id="bo") == 0
    review = daemon.client.status()["ingest"]["review"]
    assert review["mode"] == "review" and review["sources"] == {"generic": "off", "conversation": "auto"}
    assert review["skipped"] >= 1


def test_a_session_fact_waits_and_a_rejected_one_is_gone(daemon: DaemonProcess) -> None:
    reply = daemon.client.call("session.update", {
        "session_id": "s-rev", "user_id": "cy",
        "messages": [{"role": "user", "content": "My sister lives in Toronto."},
                     {"role": "user", "content": "I am vegetarian and never eat fish."}]})
    assert reply["queued"] == 2
    items = wait_until(lambda: (found := daemon.client.review_list(user_id="cy")["items"]) and len(found) == 2
                       and found, what="both session facts to be held for review")
    assert {i["source"] for i in items} == {"session"} and daemon.client.review_count(user_id="cy") == 2
    toronto = next(i for i in items if "toronto" in i["text"].lower())
    vegetarian = next(i for i in items if i is not toronto)
    assert daemon.client.review_reject(toronto["id"])["status"] == "rejected"
    edited = daemon.client.review_accept(vegetarian["id"], text="Is vegetarian (no fish either)", user_id="cy")
    assert daemon.client.review_list(user_id="cy")["items"] == []
    assert daemon.client.review_count(user_id="cy") == 0
    assert [m["memory"] for m in daemon.client.get_all(filters={"user_id": "cy"})["results"]] == [
        "Is vegetarian (no fish either)"]
    assert daemon.client.history(edited["memory_id"])[0]["provenance"]["decision"].endswith("edited in review")
    with pytest.raises(NotFound):
        daemon.client.review_reject(toronto["id"][:8], user_id="someone-else")


def test_bad_review_requests_get_clear_errors(daemon: DaemonProcess) -> None:
    learned = daemon.client.call("session.update", {
        "session_id": "s-bad", "user_id": "dee",
        "messages": [{"role": "user", "content": "I work as a nurse in Lyon."}]})
    assert learned["queued"] == 1
    (item,) = wait_until(lambda: daemon.client.review_list(user_id="dee")["items"], what="the fact to be held")
    with pytest.raises(NotFound, match="at least 6"):
        daemon.client.review_accept(item["id"][:5])
    with pytest.raises(NotFound, match="no review item"):
        daemon.client.review_accept("0123456789abcdef")
    with pytest.raises(NotFound, match="user_id=eve"):
        daemon.client.review_accept(item["id"], user_id="eve")
    with pytest.raises(RequestFailed, match="empty"):
        daemon.client.review_accept(item["id"], text="  ")
    with pytest.raises(RequestFailed) as missing:
        daemon.client.call("review.list", {})
    assert missing.value.code == "missing_scope"
    with pytest.raises(RequestFailed) as bad:
        daemon.client.call("review.accept", {"id": ["x"]})
    assert bad.value.code == "bad_request"
    assert daemon.client.review_list(user_id="dee", limit=1)["total"] == 1  # nothing was lost
    assert daemon.client.ping()


def test_modes_change_on_reload_without_a_restart(tmp_path: Path) -> None:
    with private_daemon("[watch]\non = false\n", prefix="srl-") as daemon:
        assert daemon.client.add("My brother lives in Lisbon.", user_id="fay", infer=True)["results"]
        write_config(daemon.home, '[watch]\non = false\n[gate.sources]\nconversation = "review"\n')
        daemon.process.send_signal(signal.SIGHUP)
        wait_until(lambda: daemon.client.status()["ingest"]["review"]["sources"] == {"conversation": "review"},
                   what="the reload to switch the mode")
        held = daemon.client.add("My mother lives in Porto.", user_id="fay", infer=True)["results"]
        assert [r["event"] for r in held] == ["REVIEW"] and daemon.client.review_count(user_id="fay") == 1
        assert not stored_about(daemon, "porto", "fay") and stored_about(daemon, "lisbon", "fay")
        assert daemon.process.poll() is None


@pytest.mark.parametrize("text, named", [
    ('[gate]\nmode = "manual"\n', "gate.mode"),
    ('[gate.sources]\ncursor = "off"\n', "gate.sources.cursor"),
    ('[gate.sources]\naider = "sometimes"\n', "gate.sources.aider"),
])
def test_a_bad_mode_or_source_stops_the_daemon_with_one_line(tmp_path: Path, text: str, named: str) -> None:
    home = tmp_path / "h"
    write_config(home, text)
    with pytest.raises(DaemonStartError) as failed:
        start_daemon(home)
    assert named in str(failed.value) and "exited with 78" in str(failed.value)
