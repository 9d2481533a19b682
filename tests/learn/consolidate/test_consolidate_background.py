"""The consolidator over the in-memory store, the background pass, and its ``[consolidate]`` config table."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.config.settings import ConfigError, parse_config
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.consolidate.background import ConsolidationPass
from sidecar.learn.consolidate.consolidator import Consolidator
from sidecar.store.embedder import MiniLMEmbedder
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.waiting import wait_until


@pytest.fixture()
def planted(tmp_path: Path, embedder: MiniLMEmbedder):
    store = FakeStore()
    for text in ("Lives in Oslo", "Lives in Bergen"):
        store.add(text, user_id="bg-ann")
        store.add(text, user_id="bg-bob", agent_id="codex")
    provenance = ProvenanceLog(tmp_path / "provenance.db")
    yield store, Consolidator(store, lambda: embedder, provenance), provenance
    provenance.close()


def live(store: FakeStore, **scope: str) -> set[str]:
    return {r["memory"] for r in store.get_all(filters=scope)["results"]}


def test_a_dry_run_changes_nothing_and_a_run_deletes_with_provenance(planted) -> None:
    store, consolidator, provenance = planted
    plan = consolidator.run({"user_id": "bg-ann"}, dry_run=True).as_dict()
    assert plan["planned"] == 1 and plan["deleted"] == 0 and live(store, user_id="bg-ann") == {"Lives in Oslo", "Lives in Bergen"}
    stale = plan["groups"][0]["delete"][0]
    assert stale["memory"] == "Lives in Oslo" and "Lives in Bergen" in stale["reason"]
    done = consolidator.run({"user_id": "bg-ann"}).as_dict()
    assert done["deleted"] == 1 and live(store, user_id="bg-ann") == {"Lives in Bergen"}
    assert [e["event"] for e in store.history(stale["id"])] == ["ADD", "DELETE"]
    assert [(r["op"], r["source"]) for r in provenance.rows_for(stale["id"])] == [("DELETE", "consolidate")]
    assert live(store, user_id="bg-bob") == {"Lives in Oslo", "Lives in Bergen"}  # another user: untouched


def test_the_background_pass_consolidates_every_scope_it_is_given(planted) -> None:
    store, consolidator, _ = planted
    scopes = [{"user_id": "bg-ann"}, {"user_id": "bg-bob"}]
    background = ConsolidationPass(consolidator, lambda: scopes, interval_hours=0.0001)
    background.start()
    try:
        wait_until(lambda: background.passes >= 1)
    finally:
        background.close()
    assert live(store, user_id="bg-ann") == live(store, user_id="bg-bob") == {"Lives in Bergen"}
    assert background.status()["deleted"] == 2 and background.failures == 0


def test_the_background_pass_is_off_by_default(planted) -> None:
    _, consolidator, _ = planted
    background = ConsolidationPass(consolidator, lambda: [{"user_id": "bg-ann"}],
                                   interval_hours=parse_config({}).consolidate.interval_hours)
    background.start()
    assert background._thread is None
    background.close()


@pytest.mark.parametrize("value", [-1, "6", True, 10_000])
def test_the_interval_is_checked_at_load(value) -> None:
    with pytest.raises(ConfigError, match="consolidate.interval_hours"):
        parse_config({"consolidate": {"interval_hours": value}})
    assert parse_config({"consolidate": {"interval_hours": 6}}).consolidate.interval_hours == 6.0
