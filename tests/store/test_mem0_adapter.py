"""The mem0 adapter, and every assumption it makes about mem0 2.2.1, pinned in one place.

Each test runs a real mem0 ``Memory`` over a real Chroma in ``tmp_path`` with the
embedded MiniLM model. When an upgrade of ``mem0ai`` changes what the adapter
relies on (payload keys, insert and history calls, ``update``'s signature, the
embedding route, the score formula), a test here fails and names it.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sidecar.config.settings import load_settings
from sidecar.store.chroma_rows import MEM0_KEYS, StoredRow, score_of, text_hash
from sidecar.store.embedder import MiniLMEmbedder
from sidecar.store.mem0_adapter import Mem0Adapter
from sidecar.store.mem0_build import build_memory
from sidecar.store.mem0_config import build_mem0_config

REPO = Path(__file__).resolve().parents[2]
HISTORY_COLUMNS = {"id", "memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at",
                   "is_deleted", "actor_id", "role"}
ALICE = {"user_id": "alice"}


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    """Our mem0 config, with Chroma and the history in ``tmp_path``."""
    config, choice = build_mem0_config(load_settings())
    assert choice.embedded
    config["vector_store"]["config"]["path"] = str(tmp_path / "chroma")
    config["history_db_path"] = str(tmp_path / "history.db")
    return config


@pytest.fixture
def memory(config: dict[str, Any], embedder: MiniLMEmbedder):
    """A plain mem0 ``Memory`` with our embedder plugged in (no adapter around it)."""
    memory = build_memory(config, embedder)
    yield memory
    memory.close()


@pytest.fixture
def adapter(config: dict[str, Any], embedder: MiniLMEmbedder):
    adapter = Mem0Adapter.open(config, embedder)
    yield adapter
    adapter.close()


class Recorder:
    """Passes every attribute through to ``inner`` and records the calls of ``names``."""

    def __init__(self, inner: Any, *names: str) -> None:
        self._inner = inner
        self._names = names
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name not in self._names:
            return target

        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return target(*args, **kwargs)
        return record


def history_rows(config: dict[str, Any]) -> int:
    with sqlite3.connect(config["history_db_path"]) as db:
        return db.execute("SELECT COUNT(*) FROM history").fetchone()[0]


# -- what mem0 does (the assumptions) ------------------------------------------


def test_mem0_embeds_through_memory_embedding_model(memory, embedder: MiniLMEmbedder):
    """If mem0 stops embedding through Memory.embedding_model, it reaches the placeholder and fails."""
    before = embedder.calls
    added = memory.add("I keep bees in my garden", user_id="alice", infer=False)["results"][0]
    assert embedder.calls > before
    stored = memory.vector_store.collection.get(ids=[added["id"]], include=["embeddings"])
    ours = embedder.embed(["I keep bees in my garden"])[0]
    assert np.allclose(np.asarray(stored["embeddings"][0]), ours, atol=1e-5)
    before = embedder.calls
    hits = memory.search("beekeeping hobby", filters=ALICE)["results"]
    assert embedder.calls > before and hits[0]["id"] == added["id"]


def test_payload_keys_mem0_writes(memory):
    text = "I teach violin on Tuesdays"
    memory_id = memory.add([{"role": "user", "content": text}], user_id="alice", agent_id="tutor", run_id="r1",
                           metadata={"topic": "music"}, infer=False)["results"][0]["id"]
    payload = memory.vector_store.collection.get(ids=[memory_id], include=["metadatas"])["metadatas"][0]
    assert set(payload) == {"data", "hash", "created_at", "updated_at", "text_lemmatized", "role",
                            "user_id", "agent_id", "run_id", "topic"}
    assert payload["data"] == text and payload["hash"] == text_hash(text)
    assert payload["created_at"] == payload["updated_at"]
    assert datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    assert (payload["user_id"], payload["agent_id"], payload["run_id"], payload["role"]) == \
        ("alice", "tutor", "r1", "user")
    assert set(payload) - MEM0_KEYS == {"topic"}


def test_mem0_row_shape_is_ours(memory):
    """StoredRow.record() and ScoredRow.result() are the rows mem0 itself returns."""
    memory_id = memory.add("I grow tomatoes", user_id="alice", metadata={"topic": "garden"},
                           infer=False)["results"][0]["id"]
    payload = memory.vector_store.collection.get(ids=[memory_id], include=["metadatas"])["metadatas"][0]
    row = StoredRow(memory_id, payload)
    assert row.record() == memory.get_all(filters=ALICE)["results"][0]
    assert row.metadata == {"topic": "garden"} and row.scope == ALICE and row.text == "I grow tomatoes"
    theirs = memory.search("tomatoes", filters=ALICE)["results"][0]
    assert {k: v for k, v in theirs.items() if k != "score"} == row.record()


def test_add_without_inference_inserts_one_vector_per_call_with_keywords(memory):
    """The held-insert wrapper relies on insert(vectors=, payloads=, ids=) and add_history(id, old, new, event, ...)."""
    memory.vector_store = vectors = Recorder(memory.vector_store, "insert")
    memory.db = history = Recorder(memory.db, "add_history", "batch_add_history")
    results = memory.add([{"role": "user", "content": "I like tea"}, {"role": "user", "content": "I like jazz"}],
                         user_id="alice", infer=False)["results"]
    assert [name for name, _, _ in vectors.calls] == ["insert", "insert"]
    for (_, args, kwargs), result in zip(vectors.calls, results):
        assert args == () and set(kwargs) == {"vectors", "ids", "payloads"}
        assert kwargs["ids"] == [result["id"]] and len(kwargs["vectors"]) == len(kwargs["payloads"]) == 1
    assert [name for name, _, _ in history.calls] == ["add_history", "add_history"]
    for (_, args, kwargs), result in zip(history.calls, results):
        assert args == (result["id"], None, result["memory"], "ADD")
        assert set(kwargs) == {"created_at", "updated_at", "actor_id", "role"}


def test_update_signature_takes_text_and_metadata():
    from mem0 import Memory

    parameters = list(inspect.signature(Memory.update).parameters)
    assert parameters[:4] == ["self", "memory_id", "text", "metadata"]


def test_history_rows_of_add_update_delete(adapter):
    memory_id = adapter.add_batch([{"role": "user", "content": "I live in Oslo"}], ALICE, None)[0]["id"]
    adapter.update(memory_id, text="I live in Bergen")
    adapter.delete(memory_id)
    rows = adapter.history(memory_id)
    assert all(set(row) == HISTORY_COLUMNS for row in rows)
    assert [(r["event"], r["old_memory"], r["new_memory"], r["is_deleted"]) for r in rows] == [
        ("ADD", None, "I live in Oslo", False), ("UPDATE", "I live in Oslo", "I live in Bergen", False),
        ("DELETE", "I live in Bergen", None, True)]
    add, update, _ = rows
    assert add["role"] == "user" and add["updated_at"] == add["created_at"]  # every held column is written
    assert update["created_at"] == add["created_at"] and update["updated_at"] > add["created_at"]


def test_score_is_one_over_one_plus_squared_l2_distance(adapter, memory, embedder: MiniLMEmbedder):
    texts = ["I swim every morning", "My cat is called Miso", "I work as a nurse"]
    adapter.add_batch([{"role": "user", "content": t} for t in texts], ALICE, None)
    query = adapter.embed_query("morning exercise")
    ours = adapter.nearest(query, 3)
    theirs = memory.vector_store.search(query="", vectors=query, top_k=3, filters=ALICE)
    assert [(r.id, r.score) for r in ours] == [(hit.id, pytest.approx(hit.score)) for hit in theirs]
    vectors = dict(zip(texts, embedder.embed(texts)))
    for row in ours:
        distance = float(np.sum((np.asarray(query) - vectors[row.text]) ** 2))
        assert row.distance == pytest.approx(distance, abs=1e-4)
        assert row.score == pytest.approx(score_of(distance), abs=1e-4) == pytest.approx(1 / (1 + distance), abs=1e-4)


# -- the adapter ------------------------------------------------------------------


def test_the_query_vector_is_the_one_mem0_searches_with(adapter, memory):
    query = adapter.embed_query("morning exercise")
    assert isinstance(query, np.ndarray) and query.dtype == np.float32  # handed to Chroma as it is
    assert query.tolist() == memory.embedding_model.embed("morning exercise", "search")


def test_failed_vector_insert_leaves_no_history(adapter, config):
    """A batch whose one vector insert fails leaves neither vectors nor ADD history rows."""
    adapter.add_batch([{"role": "user", "content": "I drink oat milk"}], ALICE, None)
    before = (adapter.count(), history_rows(config))
    # Chroma rejects nested metadata when the held batch is inserted.
    with pytest.raises(ValueError, match="metadata"):
        adapter.add_batch([{"role": "user", "content": "I like chess"}, {"role": "user", "content": "I like go"}],
                          ALICE, {"nested": {"not": "flat"}})
    assert (adapter.count(), history_rows(config)) == before == (1, 1)
    added = adapter.add_batch([{"role": "user", "content": "I like chess"}], ALICE, None)
    assert adapter.history(added[0]["id"])[0]["event"] == "ADD" and history_rows(config) == 2


def test_failed_history_write_removes_the_batch_vectors(config, embedder: MiniLMEmbedder):
    memory = build_memory(config, embedder)
    adapter = Mem0Adapter(memory, embedder)
    try:
        memory.db.connection.execute("PRAGMA query_only = ON")  # the history refuses every write
        with pytest.raises(sqlite3.OperationalError):
            adapter.add_batch([{"role": "user", "content": "I like chess"}], ALICE, None)
        assert adapter.count() == 0
        memory.db.connection.execute("PRAGMA query_only = OFF")
        assert len(adapter.add_batch([{"role": "user", "content": "I like chess"}], ALICE, None)) == 1
        assert adapter.count() == history_rows(config) == 1
    finally:
        adapter.close()


def test_batch_is_one_insert_and_one_history_transaction(adapter, config):
    texts = [f"I own plant number {n}" for n in range(20)]
    results = adapter.add_batch([{"role": "user", "content": t} for t in texts], ALICE, {"source": "test"})
    assert [r["memory"] for r in results] == texts and {r["event"] for r in results} == {"ADD"}
    assert adapter.count() == history_rows(config) == 20
    rows = adapter.rows([r["id"] for r in reversed(results)] + ["no-such-id"])
    assert [row.text for row in rows] == list(reversed(texts))
    assert all(row.metadata == {"source": "test"} for row in rows)


def test_ids_by_text_hash_stays_in_scope(adapter):
    memory_id = adapter.add_batch([{"role": "user", "content": "I like tea"}], ALICE, None)[0]["id"]
    assert adapter.ids_by_text_hash(["I like tea", "I like coffee"], ALICE) == {"I like tea": memory_id}
    assert adapter.ids_by_text_hash(["I like tea"], {"user_id": "bob"}) == {}
    assert adapter.ids_by_text_hash([], ALICE) == {}


def test_scan_pages_over_every_scope(adapter):
    adapter.add_batch([{"role": "user", "content": f"alice fact {n}"} for n in range(5)], ALICE, None)
    adapter.add_batch([{"role": "user", "content": "bob fact"}], {"user_id": "bob"}, None)
    pages = [adapter.scan(offset=offset, limit=4) for offset in (0, 4)]
    assert [len(page) for page in pages] == [4, 2] and adapter.count() == 6
    assert len({row.id for page in pages for row in page}) == 6
    assert [row.text for row in adapter.scan(where={"user_id": "bob"})] == ["bob fact"]
    assert all(row.payload == {} for row in adapter.scan(limit=None, payloads=False))


def test_update_keeps_what_it_is_not_given(adapter):
    memory_id = adapter.add_batch([{"role": "user", "content": "I live in Oslo"}], ALICE, {"topic": "home"})[0]["id"]
    adapter.update(memory_id, metadata={"mood": "calm"})
    assert adapter.get(memory_id)["memory"] == "I live in Oslo"
    assert adapter.get(memory_id)["metadata"] == {"topic": "home", "mood": "calm"}
    adapter.update(memory_id, text="I live in Bergen")
    assert adapter.get(memory_id)["memory"] == "I live in Bergen"
    assert adapter.get(memory_id)["metadata"] == {"topic": "home", "mood": "calm"}


# -- the boundary -------------------------------------------------------------------


def test_importing_the_store_does_not_import_mem0():
    code = "import sys, sidecar.store.memory_store; sys.exit('mem0' in sys.modules or 'chromadb' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_only_the_adapter_touches_mem0():
    """No module under sidecar/ but the adapter imports mem0 or reaches into a Memory or the collection.

    (``[mem0.vector_store]`` is the config table's name, not an attribute.)
    """
    adapter = {REPO / "sidecar/store/mem0_adapter.py", REPO / "sidecar/store/chroma_rows.py",
               REPO / "sidecar/store/mem0_holding.py", REPO / "sidecar/store/mem0_build.py"}
    touch = re.compile(r"^\s*(from|import)\s+mem0\b|(?<!mem0)\.(vector_store|embedding_model|collection)\b|"
                       r"\bdb\.(add_history|batch_add_history|get_history)\b", re.MULTILINE)
    offenders = sorted(str(path.relative_to(REPO)) for path in (REPO / "sidecar").rglob("*.py")
                       if path not in adapter and touch.search(path.read_text(encoding="utf-8")))
    assert offenders == []
