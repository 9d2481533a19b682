"""Through a real daemon: ``add(infer=True)`` keeps memories current, and each change stays in history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon("[watch]\non = false\n", prefix="spd-") as running:
        yield running


def say(daemon: DaemonProcess, user: str, text: str) -> list[dict]:
    return daemon.client.add(text, user_id=user, infer=True)["results"]


def test_a_dose_change_replaces_the_old_dose_and_history_keeps_it(daemon: DaemonProcess) -> None:
    (added,) = say(daemon, "rosa", "I take 50 mg of sertraline every morning.")
    assert added["event"] == "ADD"
    events = say(daemon, "rosa", "My psychiatrist raised my sertraline to 100 mg.")
    assert [e["event"] for e in events] == ["UPDATE"] and events[0]["id"] == added["id"]
    hits = daemon.client.search("What's my current sertraline dose?", filters={"user_id": "rosa"}, top_k=5)["results"]
    assert "100 mg" in hits[0]["memory"] and not any("50 mg" in h["memory"] for h in hits)
    history = daemon.client.history(added["id"])
    assert [h["event"] for h in history] == ["ADD", "UPDATE"] and "50 mg" in history[1]["old_memory"]


def test_a_self_correction_of_a_number_in_the_next_add_updates_the_fact(daemon: DaemonProcess) -> None:
    (added,) = say(daemon, "niamh", "I have three kids.")
    events = say(daemon, "niamh", "Sorry, four! I always forget to count the baby.")
    assert ("UPDATE", added["id"]) in [(e["event"], e["id"]) for e in events]
    left = [r["memory"] for r in daemon.client.get_all(filters={"user_id": "niamh"})["results"]]
    assert "Has four kids" in left and not any("three" in text for text in left)


def test_a_retraction_the_judge_calls_small_talk_deletes_the_stored_fact(daemon: DaemonProcess) -> None:
    (added,) = say(daemon, "theo", "I'm pescatarian: fish is fine, no other meat.")
    say(daemon, "theo", "I'm allergic to sesame.")
    events = say(daemon, "theo", "Quick update: I'm not pescatarian anymore.")
    assert [(e["event"], e["id"]) for e in events] == [("DELETE", added["id"])]
    assert [h["event"] for h in daemon.client.history(added["id"])][-1] == "DELETE"
    left = [r["memory"] for r in daemon.client.get_all(filters={"user_id": "theo"})["results"]]
    assert len(left) == 1 and "sesame" in left[0]


def test_a_new_tool_said_with_anymore_is_kept(daemon: DaemonProcess) -> None:
    say(daemon, "uma", "I use conda for all my Python environments.")
    events = say(daemon, "uma", "I run everything through uv now; there's no pip or conda on this machine anymore.")
    assert "DELETE" not in [e["event"] for e in events]
    left = [r["memory"] for r in daemon.client.get_all(filters={"user_id": "uma"})["results"]]
    assert any("uv" in text for text in left)
