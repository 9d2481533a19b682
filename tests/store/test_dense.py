"""The dense channel reads rows' metadata only for the ids a search keeps, in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sidecar.store.chroma_rows import ScoredRow, StoredRow, score_of
from sidecar.store.dense import DenseChannel


class Rows:
    """An in-memory stand-in for the vector store's rows, counting each kind of read."""

    def __init__(self, payloads: dict[str, dict[str, Any]]) -> None:
        self.payloads = payloads
        self.distance = {memory_id: float(n) for n, memory_id in enumerate(payloads)}
        self.reads: list[tuple[str, int]] = []

    def count(self) -> int:
        return len(self.payloads)

    def nearest(self, vector: Sequence[float], n: int, where: Mapping[str, Any] | None = None) -> list[ScoredRow]:
        self.reads.append(("nearest with metadata", n))
        wanted = [i for i in self.payloads
                  if not where or all(self.payloads[i].get(k) == v["$eq"] for k, v in where.items())]
        return [ScoredRow(i, self.payloads[i], self.distance[i]) for i in wanted[:n]]

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        self.reads.append(("nearest ids", n))
        return [(i, score_of(self.distance[i])) for i in list(self.payloads)[:n]]

    def rows(self, ids: Sequence[str]) -> list[StoredRow]:
        self.reads.append(("rows", len(ids)))
        return [StoredRow(i, self.payloads[i]) for i in ids if i in self.payloads]


def payload(text: str, user: str, **extra: Any) -> dict[str, Any]:
    return {"data": text, "hash": "h", "user_id": user, "created_at": "2026-01-01T00:00:00+00:00", **extra}


def test_a_scope_that_is_the_whole_store_is_searched_without_metadata_and_rows_are_read_once():
    rows = Rows({f"m{n}": payload(f"fact {n}", "ana") for n in range(30)})
    channel = DenseChannel(rows, lambda scope: 30)
    hits = channel.search([0.0], {"user_id": "ana"}, 20)
    assert [h["id"] for h in hits][:3] == ["m0", "m1", "m2"] and "memory" not in hits[0]
    assert rows.reads == [("nearest ids", 20)]
    kept = channel.rows_of(["m3", "m0", "m25"], hits, {"user_id": "ana"})  # m25: a keyword-only hit
    assert list(kept) == ["m3", "m0", "m25"] and kept["m25"]["memory"] == "fact 25"
    assert rows.reads[1:] == [("rows", 3)]  # one read for all the kept ids, the keyword channel's too


def test_rows_of_leaves_out_other_scopes_expired_and_deleted_rows():
    rows = Rows({"a": payload("mine", "ana"), "b": payload("theirs", "bob"),
                 "c": payload("old", "ana", expiration_date="2000-01-01")})
    channel = DenseChannel(rows, lambda scope: 3)
    kept = channel.rows_of(["a", "b", "c", "gone"], [], {"user_id": "ana"})
    assert list(kept) == ["a"]


def test_a_scope_sharing_the_store_keeps_its_filter_and_full_rows():
    rows = Rows({**{f"a{n}": payload("x", "ana") for n in range(5)},
                 **{f"b{n}": payload("y", "bob") for n in range(5)}})
    channel = DenseChannel(rows, lambda scope: 5)
    hits = channel.search([0.0], {"user_id": "bob"}, 3)
    assert all(h["user_id"] == "bob" and "memory" in h for h in hits)
    assert channel.rows_of([h["id"] for h in hits], hits, {"user_id": "bob"}).keys() == {h["id"] for h in hits}
    assert not any(kind == "rows" for kind, _ in rows.reads)  # the hits carried their rows already
