"""Per-thread SQLite connections of the keyword index: one per thread, all closed together, atomic writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sidecar.store.keyword_connections import ThreadConnections


def _pool(tmp_path: Path, prepared: list[sqlite3.Connection]) -> ThreadConnections:
    pool = ThreadConnections(tmp_path / "k.db", prepared.append)
    pool.conn().execute("CREATE TABLE t(x)")
    return pool


def test_each_thread_gets_its_own_prepared_connection_in_wal_mode(tmp_path: Path) -> None:
    prepared: list[sqlite3.Connection] = []
    pool = _pool(tmp_path, prepared)
    other: list[sqlite3.Connection] = []
    worker = threading.Thread(target=lambda: other.append(pool.conn()))
    worker.start()
    worker.join()
    assert pool.conn() is pool.conn()
    assert other[0] is not pool.conn()
    assert prepared == [pool.conn(), other[0]]
    assert pool.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_transaction_writes_nothing_and_a_good_one_reports_its_commit(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    commits: list[int] = []
    with pytest.raises(ValueError):
        with pool.transaction(lambda: commits.append(1)) as conn:
            conn.execute("INSERT INTO t VALUES(1)")
            raise ValueError("boom")
    with pool.transaction(lambda: commits.append(2)) as conn:
        conn.execute("INSERT INTO t VALUES(2)")
    assert [row[0] for row in pool.conn().execute("SELECT x FROM t")] == [2]
    assert commits == [2]


def test_close_closes_every_threads_connection_and_refuses_new_ones(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    opened: list[sqlite3.Connection] = []
    worker = threading.Thread(target=lambda: opened.append(pool.conn()))
    worker.start()
    worker.join()
    mine = pool.conn()
    pool.close()
    for conn in (mine, opened[0]):
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="closed"):
        pool.conn()


def test_after_drop_a_thread_opens_a_fresh_connection(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    before = pool.conn()
    pool.drop()
    assert pool.conn() is not before
    assert pool.conn().execute("SELECT count(*) FROM t").fetchone()[0] == 0
