"""A learned fact is found by the words of the turn it was learned from (keyword channel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.store.hybrid import UTTERANCE_CONTEXT_CHARS, HybridIndex


@pytest.fixture
def hybrid(tmp_path: Path):
    index = HybridIndex(tmp_path / "keyword.db")
    yield index
    index.close()


def test_the_utterance_is_searchable_beside_the_fact(hybrid: HybridIndex) -> None:
    said = "Melanie: Luna and Oliver! They are so sweet and playful, they really liven up the house!"
    hybrid.added("m1", "Melanie has two pets", {"user_id": "u"}, {"utterance": said}, None)
    hybrid.added("m2", "Melanie plays the clarinet", {"user_id": "u"}, None, None)
    assert [m for m, _ in hybrid.keyword.search("Oliver", filters={"user_id": "u"}, limit=5)] == ["m1"]
    hybrid.updated("m1", "Melanie has two cats, Luna and Oliver", {"user_id": "u"})
    assert [m for m, _ in hybrid.keyword.search("playful", filters={"user_id": "u"}, limit=5)] == ["m1"]


def test_a_long_agent_message_is_not_indexed_as_context(hybrid: HybridIndex) -> None:
    long = "zebra " * (UTTERANCE_CONTEXT_CHARS // 6 + 10)
    hybrid.added("m1", "Project uses pnpm", {"user_id": "u"}, {"utterance": long}, None)
    assert hybrid.keyword.search("zebra", filters={"user_id": "u"}, limit=5) == []
    assert hybrid.keyword.search("pnpm", filters={"user_id": "u"}, limit=5)[0][0] == "m1"
