"""Direct reads of the Chroma collection: a nearest-neighbour query takes its payloads from the row copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sidecar.store.chroma_rows import ChromaRows
from sidecar.store.row_copies import FILE_NAME, RowCopies


class Recording:
    """A Chroma collection that records what each query asked to include."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.includes: list[list[str]] = []
        self.gets = 0

    def query(self, **kwargs: Any) -> Any:
        self.includes.append(list(kwargs["include"]))
        return self._collection.query(**kwargs)

    def get(self, **kwargs: Any) -> Any:
        self.gets += 1
        return self._collection.get(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


@pytest.fixture
def collection(tmp_path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=Settings(anonymized_telemetry=False))
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    found = client.get_or_create_collection("memories")
    found.add(ids=[f"m{n}" for n in range(60)], embeddings=vectors.tolist(),
              metadatas=[{"data": f"memory {n}", "user_id": "alice" if n % 3 else "bob", "n": n} for n in range(60)])
    return found


def _rows(found: list) -> list[tuple[str, float, dict]]:
    return [(row.id, row.distance, dict(row.payload)) for row in found]


@pytest.mark.parametrize("where", [None, {"user_id": "bob"}])
def test_with_trusted_copies_a_query_reads_payloads_from_them_and_returns_the_same_rows(
        tmp_path: Path, collection: Any, where: dict | None) -> None:
    plain = ChromaRows(collection)
    recorded = Recording(collection)
    copied = ChromaRows(recorded)
    copies = RowCopies(tmp_path / FILE_NAME)
    for _ in copies.synced(plain.scan(None, 0, None)):
        pass
    copied.keep_copies(copies)
    query = np.random.default_rng(1).normal(size=8).tolist()

    expected = _rows(plain.nearest(query, 25, where))
    assert _rows(copied.nearest(query, 25, where)) == expected
    assert recorded.includes == [["distances"]]
    assert recorded.gets == 0  # every payload came from the copies
    assert copies.status()["hits"] == len(expected) == (25 if where is None else 20)  # bob holds 20 rows


def test_a_row_gone_between_the_query_and_the_payload_read_is_left_out(tmp_path: Path, collection: Any) -> None:
    plain = ChromaRows(collection)
    copies = RowCopies(tmp_path / FILE_NAME)
    for _ in copies.synced(plain.scan(None, 0, None)):
        pass
    query = np.random.default_rng(2).normal(size=8).tolist()
    nearest_first = plain.nearest(query, 5, None)[0].id

    class DeletingAfterQuery(Recording):
        def query(self, **kwargs: Any) -> Any:
            found = super().query(**kwargs)
            copies.forget([nearest_first])  # another thread's delete, after this query ran
            collection.delete(ids=[nearest_first])
            return found

    copied = ChromaRows(DeletingAfterQuery(collection))
    copied.keep_copies(copies)

    ids = [row.id for row in copied.nearest(query, 5, None)]
    assert nearest_first not in ids and len(ids) == 4


def test_until_the_copies_are_trusted_the_query_reads_metadata_from_chroma(tmp_path: Path, collection: Any) -> None:
    recorded = Recording(collection)
    reader = ChromaRows(recorded)
    reader.keep_copies(RowCopies(tmp_path / FILE_NAME))  # not compared with the store yet
    query = np.random.default_rng(3).normal(size=8).tolist()

    assert _rows(reader.nearest(query, 10, None)) == _rows(ChromaRows(collection).nearest(query, 10, None))
    assert recorded.includes == [["metadatas", "distances"]]
    assert recorded.gets == 0
