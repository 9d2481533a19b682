"""The review inbox: held proposals, their scope, prefixes, and what stays of a resolved one."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from sidecar.learn.review import inbox as inbox_module
from sidecar.learn.review.inbox import Proposal, ReviewConflict, ReviewInbox, ReviewNotFound

ANA = {"user_id": "ana", "agent_id": "codex"}


def proposal(text: str = "Prefers tea", scope: dict[str, str] = ANA, op: str = "ADD", **extra) -> Proposal:
    return Proposal(op=op, text=text, scope=scope, source="codex", utterance=f"I said: {text}",
                    origin={"source": "/t/r.jsonl", "line": 3, "session_id": "s1"},
                    verdict={"kind": "preference", "score": 0.9}, reason="new", metadata={"learned_from": "transcript"},
                    **extra)


@pytest.fixture
def inbox(tmp_path: Path):
    box = ReviewInbox(tmp_path / "review.db")
    yield box
    box.close()


def test_a_proposal_is_listed_in_its_scope_only_and_a_restated_one_is_the_same_item(inbox: ReviewInbox) -> None:
    first = inbox.propose(proposal())
    again = inbox.propose(proposal("  prefers   TEA "))
    other = inbox.propose(proposal(scope={"user_id": "bo"}))
    assert first.state == "new" and again == type(first)(first.item_id, "pending")
    items, total = inbox.items({"user_id": "ana"}, limit=10)
    assert total == 1 and [i["id"] for i in items] == [first.item_id]
    (item,) = items
    assert (item["text"], item["op"], item["user_id"], item["agent_id"]) == ("Prefers tea", "ADD", "ana", "codex")
    assert item["provenance"]["line"] == 3 and item["verdict"]["kind"] == "preference"
    assert item["utterance"] == "I said: Prefers tea" and item["created_at"].startswith("20")
    assert inbox.count({"user_id": "bo"}) == 1 and inbox.count() == 2 and other.item_id != first.item_id


def test_pages_are_oldest_first(inbox: ReviewInbox) -> None:
    ids = [inbox.propose(proposal(f"Fact {n}")).item_id for n in range(5)]
    first, total = inbox.items({"user_id": "ana"}, limit=2)
    rest, _ = inbox.items({"user_id": "ana"}, limit=10, offset=2)
    assert total == 5 and [i["id"] for i in first + rest] == ids


def test_ids_resolve_from_six_characters_within_the_scope(inbox: ReviewInbox, monkeypatch) -> None:
    fixed = iter([uuid.UUID("abcdef01" + "0" * 24), uuid.UUID("abcdef02" + "0" * 24)])
    monkeypatch.setattr(inbox_module.uuid, "uuid4", lambda: next(fixed))
    one = inbox.propose(proposal("Fact one")).item_id
    inbox.propose(proposal("Fact two"))
    assert inbox.find("ABCDEF01")["id"] == one
    with pytest.raises(ReviewConflict, match="several"):
        inbox.find("abcdef")
    with pytest.raises(ReviewNotFound, match="at least 6"):
        inbox.find("abcde")
    with pytest.raises(ReviewNotFound, match="user_id=bo"):
        inbox.find(one, {"user_id": "bo"})
    with pytest.raises(ReviewNotFound):
        inbox.find("abc%ef")


def test_a_rejected_fact_keeps_no_text_and_is_not_proposed_again(inbox: ReviewInbox, tmp_path: Path) -> None:
    item_id = inbox.propose(proposal("Keeps a secret diary")).item_id
    assert inbox.claim(item_id) is True and inbox.claim(item_id) is False  # one resolver at a time
    assert inbox.settle(item_id, "rejected") is True and inbox.settle(item_id, "accepted") is False
    assert inbox.count() == 0 and inbox.items(ANA, limit=10)[1] == 0
    again = inbox.propose(proposal("keeps a secret diary"))
    assert again.item_id is None and again.state == "rejected"
    with sqlite3.connect(tmp_path / "review.db") as db:
        row = db.execute("SELECT text, utterance, verdict, metadata FROM review_items WHERE id=?",
                         (item_id,)).fetchone()
    assert row == (None, None, "{}", "{}")
    assert inbox.find(item_id)["status"] == "rejected"


def test_an_accept_cut_short_by_a_crash_is_pending_again(tmp_path: Path) -> None:
    box = ReviewInbox(tmp_path / "review.db")
    item_id = box.propose(proposal()).item_id
    assert box.claim(item_id)
    box.close()
    reopened = ReviewInbox(tmp_path / "review.db")
    try:
        assert reopened.count() == 1 and reopened.find(item_id)["status"] == "pending"
    finally:
        reopened.close()


def test_settle_refuses_other_states(inbox: ReviewInbox) -> None:
    with pytest.raises(ValueError):
        inbox.settle(inbox.propose(proposal()).item_id, "pending")
