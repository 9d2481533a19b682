"""The keyword index is brought back in step with the store by content, not by row count."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.store.chroma_rows import StoredRow
from sidecar.store.hybrid import HybridIndex
from sidecar.store.keyword_sync import stored_digest


def row(memory_id: str, text: str, **scope: str) -> StoredRow:
    return StoredRow(memory_id, {"data": text, "created_at": f"2026-01-0{memory_id[-1]}T00:00:00+00:00", **scope})


@pytest.fixture
def hybrid(tmp_path: Path):
    index = HybridIndex(tmp_path / "keyword.db")
    yield index
    index.close()


def test_same_count_different_texts_are_rewritten(hybrid: HybridIndex, caplog) -> None:
    store = [row("m1", "lives in Oslo", user_id="u"), row("m2", "drives a Volvo", user_id="u"),
             row("m3", "keeps bees", user_id="u", agent_id="codex")]
    for r in store:
        hybrid.added(r.id, r.text, r.scope, None, r.created_at)
    hybrid.keyword.upsert("m1", "lives in Bergen", user_id="u")  # the update reached the store only
    hybrid.keyword.upsert("m3", "keeps bees", user_id="u")  # scope lost
    assert hybrid.resync(store, expected=3) == 2  # a count check would have seen nothing
    assert hybrid.keyword.digests() == {r.id: stored_digest(r) for r in store}
    assert hybrid.keyword.search("Oslo", filters={"user_id": "u"}, limit=5)[0][0] == "m1"
    assert hybrid.keyword.search("Bergen", filters={"user_id": "u"}, limit=5) == []
    assert any("2 changed" in r.getMessage() for r in caplog.records)
    assert hybrid.resync(store, expected=3) == 0


def test_missing_and_extra_rows_are_fixed_even_when_counts_agree(hybrid: HybridIndex) -> None:
    store = [row("m1", "lives in Oslo", user_id="u"), row("m2", "drives a Volvo", user_id="u")]
    hybrid.added("m1", "lives in Oslo", {"user_id": "u"}, None, None)
    hybrid.added("gone", "a deleted memory", {"user_id": "u"}, None, None)  # deleted in the store only
    assert hybrid.resync(store, expected=2) == 2
    assert hybrid.keyword.ids() == {"m1", "m2"}


def test_an_empty_index_is_rebuilt_from_every_row(hybrid: HybridIndex) -> None:
    store = [row(f"m{n}", f"fact number {n}", user_id="u", run_id="r") for n in range(1, 6)]
    assert hybrid.resync(store, expected=5) == 5
    assert hybrid.keyword.digests() == {r.id: stored_digest(r) for r in store}
    assert hybrid.keyword.context_of("m2").startswith("fact number 1")  # the previous turn, in written order
