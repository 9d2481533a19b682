"""Per-source modes in the apply pipeline, and accepting or rejecting what review mode held."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.config.sections import GateConfig
from sidecar.learn.apply.pipeline import GatePipeline, Origin
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.review.gate import ReviewGate
from sidecar.learn.review.inbox import ReviewConflict, ReviewInbox
from sidecar.learn.review.policy import GatePolicy, same_gate_but_modes, source_of
from sidecar.learn.review.resolve import TARGET_GONE, Reviewer
from sidecar.testing.fake_store import FakeStore

from review_fakes import EchoJudge, KeywordReconciler

ANA = {"user_id": "ana"}
TRANSCRIPT = Origin(source="/t/a.jsonl", agent="aider", line=4, session_id="s1", cwd="/w", job_key="k1",
                    metadata={"learned_from": "transcript", "role": "user"})
SESSION = Origin(source="session", agent="demo", session_id="s2", metadata={"learned_from": "session", "role": "user"})
API = Origin(source="api", metadata={"learned_from": "api", "role": "user"})


class Parts:
    def __init__(self, tmp_path: Path, config: GateConfig) -> None:
        self.store, self.judge = FakeStore(score=0.9), EchoJudge()  # every neighbour close, as hybrid scores say
        self.provenance = ProvenanceLog(tmp_path / "provenance.db")
        self.inbox = ReviewInbox(tmp_path / "review.db")
        self.policy = GatePolicy(config)
        self.pipeline = GatePipeline(self.store, self.judge, KeywordReconciler(), self.provenance,
                                     review=ReviewGate(self.policy, self.inbox, self.store))
        self.reviewer = Reviewer(self.inbox, self.store, self.provenance)

    def learn(self, text: str, origin: Origin) -> list[dict]:
        return self.pipeline.learn(text, role="user", context="", scope=ANA, origin=origin).results

    def close(self) -> None:
        self.provenance.close()
        self.inbox.close()


@pytest.fixture
def make(tmp_path: Path):
    made: list[Parts] = []

    def build(**config) -> Parts:
        made.append(Parts(tmp_path, GateConfig.model_validate(config)))
        return made[-1]

    yield build
    for parts in made:
        parts.close()


def test_sources_are_named_as_in_the_config() -> None:
    assert [source_of(o) for o in (TRANSCRIPT, SESSION, API)] == ["aider", "session", "conversation"]


def test_off_learns_nothing_from_that_source_while_another_source_learns(make) -> None:
    parts = make(sources={"aider": "off"})
    learned = parts.pipeline.learn("Prefers vim", role="user", context="", scope=ANA, origin=TRANSCRIPT)
    assert learned.results == [] and parts.judge.calls == 0 and not parts.store.rows
    assert learned.verdict.backend == "off" and not learned.verdict.memorize
    assert parts.learn("Prefers emacs", SESSION)[0]["event"] == "ADD"
    assert [r["memory"] for r in parts.store.rows.values()] == ["Prefers emacs"]


def test_review_holds_the_decision_instead_of_storing_it(make) -> None:
    parts = make(mode="review", sources={"conversation": "auto"})
    (held,) = parts.learn("Prefers tea", TRANSCRIPT)
    assert held["event"] == "REVIEW" and held["op"] == "ADD" and not parts.store.rows
    assert parts.learn("Prefers tea", TRANSCRIPT)[0]["id"] == held["id"]  # a replayed job: the same item
    (item,) = parts.reviewer.list(ANA, limit=10)["items"]
    assert item["id"] == held["id"] and item["source"] == "aider"
    assert item["provenance"] | {"project": None} == {
        "source": "/t/a.jsonl", "line": 4, "agent": "aider", "session_id": "s1", "cwd": "/w", "job_key": "k1",
        "learned_from": "transcript", "role": "user", "project": None}
    assert item["provenance"].get("project") == item["metadata"].get("project")  # the project key of its cwd
    assert item["metadata"]["source"] == "/t/a.jsonl" and item["metadata"]["kind"] == "preference"
    assert parts.learn("Prefers coffee", API)[0]["event"] == "ADD"  # conversation stays automatic
    assert parts.reviewer.count(ANA) == 1


def test_accept_stores_the_fact_with_provenance_and_reject_drops_it(make) -> None:
    parts = make(mode="review")
    kept = parts.learn("Prefers tea", TRANSCRIPT)[0]["id"]
    dropped = parts.learn("Prefers loud music", TRANSCRIPT)[0]["id"]
    accepted = parts.reviewer.accept(kept[:6])
    assert accepted["status"] == "accepted" and accepted["event"] == "ADD"
    memory = parts.store.rows[accepted["memory_id"]]
    assert memory["memory"] == "Prefers tea" and memory["metadata"]["review"] == "accepted"
    assert memory["metadata"]["line"] == 4 and memory["user_id"] == "ana"
    (row,) = parts.provenance.rows_for(accepted["memory_id"])
    assert row["op"] == "ADD" and row["line"] == 4 and row["decision"] == "new; accepted in review"
    assert row["kind"] == "preference" and row["job_key"] == "k1"
    assert parts.reviewer.reject(dropped)["status"] == "rejected"
    assert parts.reviewer.count() == 0 and len(parts.store.rows) == 1
    assert parts.learn("Prefers loud music", TRANSCRIPT)[0]["event"] == "NONE"  # rejected before: not asked again
    with pytest.raises(ReviewConflict, match="accepted already"):
        parts.reviewer.accept(kept)


def test_an_edited_accept_stores_the_users_text(make) -> None:
    parts = make(mode="review")
    item_id = parts.learn("Prefers tea", SESSION)[0]["id"]
    with pytest.raises(ReviewConflict, match="empty"):
        parts.reviewer.accept(item_id, text="   ")
    result = parts.reviewer.accept(item_id, text="Prefers green tea, no sugar")
    memory = parts.store.rows[result["memory_id"]]
    assert memory["memory"] == "Prefers green tea, no sugar" and memory["metadata"]["review"] == "edited"
    assert parts.provenance.rows_for(result["memory_id"])[0]["decision"] == "new; edited in review"


def test_update_and_delete_act_on_their_target_or_say_it_is_gone(make) -> None:
    parts = make(mode="review", sources={"conversation": "auto"})
    old = parts.learn("Lives in Oslo", API)[0]["id"]
    update = parts.learn("Lives now in Bergen", TRANSCRIPT)[0]
    delete = parts.learn("Lives no longer in Oslo", TRANSCRIPT)[0]
    assert (update["op"], update["target_id"], delete["op"], delete["target_id"]) == ("UPDATE", old, "DELETE", old)
    listed = {i["id"]: i for i in parts.reviewer.list(ANA, limit=10)["items"]}
    assert listed[update["id"]]["target_text"] == "Lives in Oslo" and parts.store.rows[old]["memory"] == "Lives in Oslo"
    with pytest.raises(ReviewConflict, match="deleting"):
        parts.reviewer.accept(delete["id"], text="something else")
    assert parts.reviewer.accept(delete["id"])["event"] == "DELETE" and old not in parts.store.rows
    moved = parts.reviewer.accept(update["id"])  # its target is gone now: the fact is added instead
    assert moved["event"] == "ADD" and moved["note"] == TARGET_GONE
    assert parts.store.rows[moved["memory_id"]]["memory"] == "Lives now in Bergen"


def test_a_delete_whose_target_is_gone_does_nothing(make) -> None:
    parts = make(mode="review", sources={"conversation": "auto"})
    old = parts.learn("Owns a cat", API)[0]["id"]
    delete = parts.learn("Owns no longer a cat", TRANSCRIPT)[0]
    parts.store.delete(old)  # by the user, while the delete waited for review
    result = parts.reviewer.accept(delete["id"])
    assert result["event"] == "NONE" and "gone" in result["note"] and parts.reviewer.count() == 0


def test_modes_switch_at_once_and_only_modes_skip_a_restart(make) -> None:
    parts = make()
    assert parts.learn("Prefers tea", SESSION)[0]["event"] == "ADD"
    parts.policy.use(GateConfig.model_validate({"mode": "off"}))
    assert parts.learn("Prefers juice", SESSION) == [] and len(parts.store.rows) == 1
    base = GateConfig()
    assert same_gate_but_modes(base, GateConfig.model_validate({"mode": "review", "sources": {"aider": "off"}}))
    assert not same_gate_but_modes(base, GateConfig.model_validate({"mode": "review", "backend": "ollama"}))
