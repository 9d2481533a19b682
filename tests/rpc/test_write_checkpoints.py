"""Reads first between the write gate's steps: a fact is judged, applied and its provenance written only once
the reads in flight are answered; none of it ever holds the scope lock while it waits.

The daemon's checkpoint is a :class:`ReadsFirst`; a read "arrives" when a step of the test's judge or
store queues one, and the test answers it. No sleeps: each wait is on the checkpoint's pause counter.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sidecar.learn.apply.pipeline import GatePipeline, Origin
from sidecar.learn.apply.provenance import ProvenanceLog, ProvenanceRow
from sidecar.learn.judge.verdict import Verdict
from sidecar.learn.reconcile.decision import Decision, Neighbour
from sidecar.rpc.priority import ReadsFirst
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.waiting import ready_limit, wait_until

SCOPE = {"user_id": "writer"}
REASONS = {"factuality": "f", "stability": "s", "reuse": "r"}


class PausingStore(FakeStore):
    """The fake store with the daemon's write checkpoint; ``on_add`` runs after each add (a read arriving)."""

    def __init__(self, reads: ReadsFirst, log: list[str]) -> None:
        super().__init__(score=0.9)
        self._reads, self._log = reads, log
        self.on_add = lambda: None

    def pause(self) -> None:
        self._reads.checkpoint()

    def add(self, messages: Any, **kwargs: Any) -> dict[str, Any]:
        result = super().add(messages, **kwargs)
        self._log.append("add")
        self.on_add()
        return result


class KeepingJudge:
    """Keeps the utterance as one fact; ``on_judge`` runs inside the judge (a read arriving meanwhile)."""

    name = "keeping"

    def __init__(self, log: list[str]) -> None:
        self._log = log
        self.on_judge = lambda: None

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        self._log.append("judge")
        self.on_judge()
        return Verdict(True, "personal_fact", (text.rstrip("."),), REASONS, 0.9, self.name)


class AddingReconciler:
    def decide(self, fact: str, neighbours: Sequence[Neighbour], *, utterance: str = "") -> Decision:
        return Decision("ADD", fact, None, fact, "new")


class LoggedProvenance(ProvenanceLog):
    def __init__(self, path: Path, log: list[str]) -> None:
        super().__init__(path)
        self._log = log

    def record(self, row: ProvenanceRow) -> None:
        super().record(row)
        self._log.append("provenance")


@pytest.fixture
def gate(tmp_path: Path):
    log: list[str] = []
    reads = ReadsFirst(max_pause_s=ready_limit())
    store, judge = PausingStore(reads, log), KeepingJudge(log)
    provenance = LoggedProvenance(tmp_path / "provenance.db", log)
    yield GatePipeline(store, judge, AddingReconciler(), provenance), reads, store, judge, log
    provenance.close()


def learning(pipeline: GatePipeline, text: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: pipeline.learn(text, role="user", context="", scope=SCOPE,
                                                            origin=Origin(source="api")), daemon=True)
    thread.start()
    return thread


def test_the_judge_waits_while_a_read_is_in_flight(gate):
    pipeline, reads, store, _, log = gate
    reads.read_queued()
    thread = learning(pipeline, "I keep bees in my garden.")
    wait_until(lambda: reads.pauses == 1, what="the write to wait before the judge")
    assert log == []
    reads.read_done()
    thread.join(ready_limit())
    assert log == ["judge", "add", "provenance"]
    assert [row["memory"] for row in store.rows.values()] == ["I keep bees in my garden"]


def test_each_step_waits_for_a_read_that_arrived_during_the_step_before_without_holding_the_scope_lock(gate):
    pipeline, reads, store, judge, log = gate
    judge.on_judge = reads.read_queued  # a search arrives while the judge runs
    store.on_add = reads.read_queued  # and another while the fact is stored
    thread = learning(pipeline, "My sister lives in Lisbon.")
    wait_until(lambda: reads.pauses == 1, what="the write to wait before applying the fact")
    assert log == ["judge"] and store.locked_scopes == [] and store.rows == {}
    reads.read_done()
    wait_until(lambda: reads.pauses == 2, what="the write to wait before its provenance")
    assert log == ["judge", "add"] and len(store.rows) == 1
    reads.read_done()
    thread.join(ready_limit())
    assert log == ["judge", "add", "provenance"] and not thread.is_alive()


def test_a_thread_answering_a_read_never_waits_at_the_gates_checkpoints(gate):
    pipeline, reads, store, _, log = gate
    reads.read_queued()  # e.g. the read this very thread is running
    reads.running_read(True)
    try:
        pipeline.learn("I drink oat milk.", role="user", context="", scope=SCOPE, origin=Origin(source="api"))
    finally:
        reads.running_read(False)
    assert reads.pauses == 0 and log == ["judge", "add", "provenance"]


def test_a_store_without_a_checkpoint_learns_as_before(tmp_path: Path):
    log: list[str] = []
    provenance = LoggedProvenance(tmp_path / "provenance.db", log)
    store = FakeStore(score=0.9)  # no pause(): a test double, or a store built outside the daemon
    try:
        GatePipeline(store, KeepingJudge(log), AddingReconciler(), provenance).learn(
            "I like chess.", role="user", context="", scope=SCOPE, origin=Origin(source="api"))
    finally:
        provenance.close()
    assert log == ["judge", "provenance"] and len(store.rows) == 1
