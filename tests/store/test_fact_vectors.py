"""A learned fact is stored under its text's vector blended with its utterance's; verbatim rows are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sidecar.config.settings import load_settings
from sidecar.store.embedder import MiniLMEmbedder
from sidecar.store.fact_vectors import UTTERANCE_CHARS, FactVectors, utterance_of
from sidecar.store.mem0_adapter import Mem0Adapter
from sidecar.store.mem0_config import build_mem0_config

FACT = "Dance is Gina's go-to for stress relief"
UTTERANCE = "Gina: Wow Jon, same here! Dance is pretty much my go-to for stress relief. Got any fave styles?"


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def adapter(tmp_path: Path, embedder: MiniLMEmbedder):
    config, _ = build_mem0_config(load_settings())
    config["vector_store"]["config"]["path"] = str(tmp_path / "chroma")
    config["history_db_path"] = str(tmp_path / "history.db")
    adapter = Mem0Adapter.open(config, embedder)
    yield adapter
    adapter.close()


def _unit(vector: Any) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    return v / np.linalg.norm(v)


def _stored_vector(adapter: Mem0Adapter, memory_id: str) -> np.ndarray:
    got = adapter._vectors.collection.get(ids=[memory_id], include=["embeddings"])
    return np.asarray(got["embeddings"][0], dtype=np.float64)


def _blend(embedder: MiniLMEmbedder, text: str, utterance: str) -> np.ndarray:
    return _unit(_unit(embedder.embed_one(text)) + _unit(embedder.embed_one(utterance)))


def test_which_rows_take_their_utterance() -> None:
    assert utterance_of({"data": FACT, "utterance": UTTERANCE}) == UTTERANCE
    assert utterance_of({"data": FACT}) is None
    assert utterance_of({"data": FACT, "utterance": f"  {FACT} "}) is None  # stored as said: nothing to add
    assert utterance_of({"data": FACT, "utterance": "x" * (UTTERANCE_CHARS + 1)}) is None  # a long message would drown it
    assert utterance_of({"data": FACT, "utterance": 7}) is None


def test_vectors_embed_each_distinct_utterance_once() -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [[0.0, 1.0] for _ in texts]

    blended = FactVectors(embed).vectors([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
                                         [{"utterance": "u"}, {"utterance": "u"}, {}])
    assert calls == [["u"]]
    assert np.allclose(blended[0], [2 ** -0.5, 2 ** -0.5]) and blended[2] == [0.0, 1.0]


def test_a_learned_fact_is_stored_under_the_blend(adapter: Mem0Adapter, embedder: MiniLMEmbedder) -> None:
    [learned] = adapter.add_batch([{"role": "user", "content": FACT}], {"user_id": "u"},
                                  {"utterance": UTTERANCE})
    [verbatim] = adapter.add_batch([{"role": "user", "content": "Jon lost his job as a banker"}], {"user_id": "u"}, None)
    assert np.allclose(_stored_vector(adapter, learned["id"]), _blend(embedder, FACT, UTTERANCE), atol=1e-5)
    assert np.allclose(_unit(_stored_vector(adapter, verbatim["id"])),
                       _unit(embedder.embed_one("Jon lost his job as a banker")), atol=1e-5)


def test_updates_keep_the_blend(adapter: Mem0Adapter, embedder: MiniLMEmbedder) -> None:
    [row] = adapter.add_batch([{"role": "user", "content": FACT}], {"user_id": "u"}, {"utterance": UTTERANCE})
    adapter.update(row["id"], metadata={"reviewed": True})  # mem0 re-embeds the bare text on any update
    assert np.allclose(_stored_vector(adapter, row["id"]), _blend(embedder, FACT, UTTERANCE), atol=1e-5)
    adapter.update(row["id"], text="Dance is Gina's way to relieve stress")
    assert np.allclose(_stored_vector(adapter, row["id"]),
                       _blend(embedder, "Dance is Gina's way to relieve stress", UTTERANCE), atol=1e-5)


def test_the_blend_brings_a_fact_closer_to_the_words_it_was_said_with(adapter: Mem0Adapter) -> None:
    fact = "Has a tattoo that stands for freedom"
    [learned] = adapter.add_batch([{"role": "user", "content": fact}], {"user_id": "u"},
                                  {"utterance": "Gina: Got the tattoo a few years ago, it stands for freedom"})
    [plain] = adapter.add_batch([{"role": "user", "content": fact}], {"user_id": "u"}, None)
    hits = adapter.search("When did Gina get her tattoo?", {"user_id": "u"}, top_k=2)["results"]
    assert [hit["id"] for hit in hits] == [learned["id"], plain["id"]]
    assert hits[0]["score"] > hits[1]["score"]
