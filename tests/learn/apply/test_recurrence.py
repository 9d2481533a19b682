"""Evidence across sessions: a statement turned down once becomes a fact when other sessions repeat it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.learn.apply.pipeline import GatePipeline, Origin
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.apply.recurrence import RecurrenceLog
from sidecar.learn.judge.embedded_judge import EmbeddedJudge
from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler
from sidecar.testing.fake_store import FakeStore


def test_sessions_are_counted_once_each_and_only_for_near_copies(tmp_path: Path, embedder) -> None:
    log = RecurrenceLog(tmp_path / "recurrence.db", embedder.embed)
    said = "run the linter and the type checker before every push"
    assert log.sessions_saying(said, user_id="u", project="shop", session_id="s1") == 1
    assert log.sessions_saying(said, user_id="u", project="shop", session_id="s1") == 1
    assert log.sessions_saying("Run the linter and the type checker before every push.", user_id="u",
                               project="shop", session_id="s2") == 2
    assert log.sessions_saying(said, user_id="u", project="other", session_id="s3") == 1
    assert log.sessions_saying(said, user_id="v", project="shop", session_id="s3") == 1
    assert log.sessions_saying("deploy the marketing site to production tonight", user_id="u", project="shop",
                               session_id="s4") == 1
    log.close()


@pytest.mark.parametrize(("text", "kind", "ok"), [
    ("run the linter before every push", "one_off_instruction", True),
    ("work on ENG-1234", "one_off_instruction", False),
    ("implement bead #42", "one_off_instruction", False),
    ("what is the staging url?", "question", False),
    ("ok", "small_talk", False),
])
def test_what_may_recur(text: str, kind: str, ok: bool) -> None:
    assert RecurrenceLog.eligible(text, kind) is ok


def test_a_request_repeated_in_three_sessions_of_a_project_becomes_its_convention(tmp_path: Path, embedder) -> None:
    store = FakeStore()
    provenance = ProvenanceLog(tmp_path / "provenance.db")
    recurrence = RecurrenceLog(tmp_path / "recurrence.db", embedder.embed)
    pipeline = GatePipeline(store, EmbeddedJudge(embedder), EmbeddedReconciler(embedder), provenance,
                            recurrence=recurrence)
    scope = {"user_id": "u", "agent_id": "claude-code"}
    said = "create a separate git worktree for this task"
    learned = []
    for session in ("s1", "s2", "s3"):
        origin = Origin(source="/t/x.jsonl", agent="claude-code", line=1, session_id=session, cwd="/home/u/code/shop")
        learned.append(pipeline.learn(said, role="user", context="", scope=scope, origin=origin))
    assert [item.verdict.memorize for item in learned] == [False, False, True]
    assert learned[2].verdict.kind == "project_convention"
    rows = store.get_all(filters={"user_id": "u"})["results"]
    assert [r["memory"] for r in rows] == ["Project shop: create a separate git worktree for this task"]
    assert rows[0]["metadata"]["project"] == "shop"
    provenance.close()
    recurrence.close()
