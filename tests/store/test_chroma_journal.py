"""Chroma's database is put in WAL mode before Chroma opens it, new or existing, and Chroma works on it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sidecar.store.chroma_journal import DATABASE, use_wal


def journal_mode(database: Path) -> str:
    conn = sqlite3.connect(str(database))
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    finally:
        conn.close()


def test_a_new_store_gets_an_empty_database_in_wal_mode_that_chroma_fills(tmp_path):
    import chromadb

    folder = tmp_path / "chroma"
    assert use_wal(folder)
    assert journal_mode(folder / DATABASE) == "wal"
    client = chromadb.PersistentClient(path=str(folder))
    collection = client.get_or_create_collection("memories")
    collection.add(ids=["a", "b"], embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], metadatas=[{"user_id": "u"}] * 2)
    found = collection.query(query_embeddings=[[0.9, 0.1, 0.0]], n_results=1, where={"user_id": "u"})
    assert found["ids"] == [["a"]]
    assert (folder / f"{DATABASE}-wal").exists()  # Chroma writes through the write-ahead log


def test_an_existing_rollback_journal_database_is_switched_and_keeps_its_rows(tmp_path):
    folder = tmp_path / "chroma"
    folder.mkdir()
    conn = sqlite3.connect(str(folder / DATABASE))
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (42)")
    conn.commit()
    conn.close()
    assert journal_mode(folder / DATABASE) == "delete"
    assert use_wal(folder) and use_wal(folder)  # idempotent
    assert journal_mode(folder / DATABASE) == "wal"
    conn = sqlite3.connect(str(folder / DATABASE))
    assert conn.execute("SELECT x FROM t").fetchall() == [(42,)]
    conn.close()


def test_a_database_that_cannot_be_opened_is_left_alone(tmp_path):
    folder = tmp_path / "chroma"
    folder.mkdir()
    (folder / DATABASE).write_bytes(b"this is not a database" * 100)
    assert use_wal(folder) is False
    assert (folder / DATABASE).read_bytes() == b"this is not a database" * 100
