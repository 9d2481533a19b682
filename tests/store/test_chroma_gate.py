"""Chroma made fit for the daemon: write work never starts a Chroma call while a read is in progress; short writes."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from sidecar.rpc.priority import ReadsFirst
from sidecar.store.chroma_gate import GATED, GatedCollection
from sidecar.store.chroma_index import SYNC_THRESHOLD, tune_index
from sidecar.store.chroma_rows import ChromaRows, gate_collection
from sidecar.store.mem0_adapter import Mem0Adapter
from sidecar.testing.waiting import ready_limit, wait_until


class Collection:
    """Records each call, in order, next to the checkpoints."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.name = "memories"

    def __getattr__(self, name: str):
        if name not in GATED and name != "modify":
            raise AttributeError(name)
        answer = 3 if name == "count" else {"ids": [], "metadatas": [], "distances": [[]]}
        return lambda *args, **kwargs: self.log.append(name) or answer


def test_each_call_into_chroma_passes_the_checkpoint_first_and_other_attributes_pass_through():
    log: list[str] = []
    gated = GatedCollection(Collection(log), lambda: log.append("checkpoint"))
    gated.add(ids=["a"], embeddings=[[0.0]])
    gated.query(query_embeddings=[[0.0]], n_results=1)
    gated.modify(name="x")  # not a call we gate
    assert log == ["checkpoint", "add", "checkpoint", "query", "modify"]
    assert gated.name == "memories" and gated.calls == 2


def test_mem0s_vector_store_and_the_row_reader_are_gated_once():
    log: list[str] = []
    store = SimpleNamespace(collection=Collection(log))
    first = gate_collection(store, lambda: log.append("checkpoint"))
    assert store.collection is first and gate_collection(store, lambda: None) is first  # never wrapped twice
    assert gate_collection(SimpleNamespace(), lambda: None) is None  # pgvector: no Chroma collection
    rows = ChromaRows(Collection(log))
    rows.gate(lambda: log.append("rows checkpoint"))
    assert rows.count() == 3
    store.collection.update(ids=["a"])
    assert log == ["rows checkpoint", "count", "checkpoint", "update"]


def test_a_write_waits_at_the_gate_while_a_read_is_in_progress_and_a_read_never_does():
    log: list[str] = []
    reads = ReadsFirst(max_pause_s=ready_limit())
    gated = GatedCollection(Collection(log), reads.checkpoint)
    reads.read_queued()
    writer = threading.Thread(target=lambda: gated.add(ids=["w"]), daemon=True)
    writer.start()
    wait_until(lambda: reads.pauses == 1, what="the write to wait at the gate")
    reads.running_read(True)  # this thread serves the read: it passes at once
    gated.query(query_embeddings=[[0.0]])
    reads.running_read(False)
    assert log == ["query"]  # the write has not entered Chroma yet
    reads.read_done()
    writer.join(ready_limit())
    assert log == ["query", "add"]


def test_the_adapter_gates_mem0s_collection_and_the_row_reader_with_the_embedders_checkpoint():
    log: list[str] = []
    vectors = SimpleNamespace(collection=Collection(log))
    embedder = SimpleNamespace(pause=lambda: log.append("checkpoint"))  # set by the composition root
    adapter = Mem0Adapter(SimpleNamespace(vector_store=vectors, db=SimpleNamespace()), embedder)
    assert adapter.count() == 3
    vectors.collection.add(ids=["a"])  # mem0's insert goes through its vector store's collection
    early = ChromaRows(Collection(log))  # the rows opened for reads before mem0 loads
    assert Mem0Adapter(SimpleNamespace(vector_store=SimpleNamespace(collection=Collection(log)), db=None),
                       embedder, rows=early).count() == 3
    assert log == ["checkpoint", "count", "checkpoint", "add", "checkpoint", "count"]
    ungated: list[str] = []
    assert Mem0Adapter(SimpleNamespace(vector_store=SimpleNamespace(collection=Collection(ungated)), db=None),
                       None).count() == 3
    assert ungated == ["count"]  # without the embedded model (an Ollama embedder) nothing pauses


def test_chromas_index_is_persisted_every_hundred_writes_once_tuned(tmp_path):
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("memories")
    assert collection.configuration_json["hnsw"]["sync_threshold"] > SYNC_THRESHOLD  # Chroma's default: 1,000
    assert tune_index(collection) is True
    reopened = client.get_collection("memories")
    assert reopened.configuration_json["hnsw"]["sync_threshold"] == SYNC_THRESHOLD
    assert tune_index(reopened) is False  # already tuned: nothing to change
    reopened.add(ids=["a"], embeddings=[[0.1, 0.2, 0.3]], metadatas=[{"user_id": "u"}])
    assert reopened.count() == 1
    assert tune_index(SimpleNamespace()) is False and tune_index(None) is False  # pgvector: no collection
