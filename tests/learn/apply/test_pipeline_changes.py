"""The pipeline: changes pass the gate, time-scoped facts expire, neighbours are scored by cosine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sidecar.learn.apply.pipeline import EXPIRATION_KEY, GatePipeline, Origin
from sidecar.config.sections import GateConfig, WatchConfig
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.judge.verdict import Verdict
from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler
from sidecar.learn.service import LearnService
from sidecar.store.embedder import MiniLMEmbedder
from sidecar.testing.fake_store import FakeStore
from tests.learn.apply.test_gate_worker import REASONS

SCOPE = {"user_id": "noor"}


class ConstantJudge:
    """Turns everything down as ``kind``, or keeps it as said when ``keep`` is set."""

    name = "constant"

    def __init__(self, kind: str = "transient_state", keep: bool = False) -> None:
        self.kind, self.keep = kind, keep

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        if self.keep:
            return Verdict(True, "personal_fact", (text.rstrip("."),), REASONS, 0.8, self.name)
        return Verdict(False, self.kind, (), REASONS, 0.3, self.name)


@pytest.fixture
def build(tmp_path: Path, embedder: MiniLMEmbedder):
    logs: list[ProvenanceLog] = []

    def make(judge: ConstantJudge, memories: list[str]) -> tuple[GatePipeline, FakeStore, ProvenanceLog]:
        store = FakeStore(score=0.9)
        for text in memories:
            store.add(text, metadata={}, infer=False, **SCOPE)
        provenance = ProvenanceLog(tmp_path / f"provenance-{len(logs)}.db")
        logs.append(provenance)
        return GatePipeline(store, judge, EmbeddedReconciler(embedder), provenance, embedder=embedder), store, provenance

    yield make
    for log in logs:
        log.close()


def learn(pipeline: GatePipeline, text: str) -> Any:
    return pipeline.learn(text, role="user", context="", scope=SCOPE, origin=Origin(source="api"))


def test_a_turned_down_retraction_of_a_stored_fact_deletes_it(build) -> None:
    pipeline, store, provenance = build(ConstantJudge("one_off_instruction"),
                                        ["Is pescatarian, fish but no other meat", "Is allergic to sesame"])
    learned = learn(pipeline, "Small update: I'm not pescatarian anymore.")
    assert [r["event"] for r in learned.results] == ["DELETE"]
    assert learned.verdict.memorize and learned.verdict.kind == "correction"
    assert [r["memory"] for r in store.rows.values()] == ["Is allergic to sesame"]
    (row,) = provenance.rows_for(learned.results[0]["id"])
    assert row["op"] == "DELETE"


def test_a_turned_down_move_updates_the_stored_city(build) -> None:
    pipeline, store, _ = build(ConstantJudge(), ["Lives in Tromsø", "Plays the cello"])
    learned = learn(pipeline, "Big news: we moved to Gdańsk last weekend!")
    assert [r["event"] for r in learned.results] == ["UPDATE"]
    assert sorted(r["memory"] for r in store.rows.values()) == ["Plays the cello", "We moved to Gdańsk"]


def test_turned_down_chatter_changes_nothing(build) -> None:
    pipeline, store, _ = build(ConstantJudge("small_talk"), ["Lives in Tromsø"])
    for text in ("Snowing again here in Tromsø, classic.", "Thanks, that's all for now!",
                 "Should I move to Oslo?"):
        learned = learn(pipeline, text)
        assert not learned.verdict.memorize and learned.results == []
    assert [r["memory"] for r in store.rows.values()] == ["Lives in Tromsø"]


def test_a_status_report_naming_a_stored_value_changes_nothing(build) -> None:
    pipeline, store, _ = build(ConstantJudge("small_talk"), ["Project random is hosted at random.akerud.se"])
    learned = learn(pipeline, "ah, of course\nTHANKS!! it works perfectly, even hosted ok random.akerud.se now :)")
    assert learned.results == []
    assert [r["memory"] for r in store.rows.values()] == ["Project random is hosted at random.akerud.se"]


def test_a_time_scoped_fact_is_added_with_an_expiry_and_never_overwrites(build) -> None:
    pipeline, store, _ = build(ConstantJudge(keep=True), ["Dog Pip takes 2.5 mg of meloxicam daily"])
    learned = learn(pipeline, "Dog Pip takes 5 mg of meloxicam for the next ten days.")
    assert [r["event"] for r in learned.results] == ["ADD"]
    rows = {r["memory"]: r for r in store.rows.values()}
    assert set(rows) == {"Dog Pip takes 2.5 mg of meloxicam daily", "Dog Pip takes 5 mg of meloxicam for the next ten days"}
    assert rows["Dog Pip takes 5 mg of meloxicam for the next ten days"]["metadata"][EXPIRATION_KEY]
    assert EXPIRATION_KEY not in (rows["Dog Pip takes 2.5 mg of meloxicam daily"]["metadata"] or {})  # None: none kept


def test_neighbour_scores_are_the_embedders_cosine_not_the_stores_score(tmp_path: Path) -> None:
    """Wired as the daemon wires it, for a store that embeds elsewhere (Ollama: ``store.embedder`` is None)."""
    store = FakeStore(score=0.9)
    for text in ("Collects vintage fountain pens", "Lives in Tromsø"):
        store.add(text, metadata={}, infer=False, **SCOPE)
    service = LearnService(store=store, data_dir=tmp_path, user_id="noor", watch=WatchConfig(on=False),
                           gate=GateConfig(), ollama_url="http://127.0.0.1:9")
    try:
        scores = {n.text: n.score for n in service.pipeline.neighbours("Where is home for me these days?", SCOPE)}
    finally:
        service.close()
    # the store says 0.9 for every hit (like a fused, per-query normalised hybrid score)
    assert scores["Collects vintage fountain pens"] < 0.3
    assert scores["Lives in Tromsø"] > scores["Collects vintage fountain pens"]


class TwoFactJudge:
    name = "two-facts"

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        return Verdict(True, "preference", tuple(s.strip() for s in text.split(".") if s.strip()), REASONS, 0.8,
                       self.name)


def test_facts_of_one_utterance_are_not_reconciled_against_each_other(build) -> None:
    pipeline, store, _ = build(TwoFactJudge(), [])
    learned = learn(pipeline, "Prefers tabs for indentation. Spaces are for people who like pressing keys.")
    assert [r["event"] for r in learned.results] == ["ADD", "ADD"]
    assert len(store.rows) == 2


def test_a_memory_one_fact_updated_is_not_updated_again_by_the_next_fact_of_the_utterance(build) -> None:
    pipeline, store, _ = build(TwoFactJudge(), ["Has three kids"])
    learned = learn(pipeline, "Has four kids. Always forgets to count the baby.")
    assert [r["event"] for r in learned.results] == ["UPDATE", "ADD"]
    assert sorted(row["memory"] for row in store.rows.values()) == [
        "Always forgets to count the baby", "Has four kids"]
