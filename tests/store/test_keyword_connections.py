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


def test_a_batch_commits_its_writes_at_once_and_a_caught_failure_inside_leaves_nothing(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    reader = sqlite3.connect(str(tmp_path / "k.db"))
    commits: list[str] = []
    with pool.batch(lambda: commits.append("batch")):
        with pool.transaction(lambda: commits.append("one")) as conn:
            conn.execute("INSERT INTO t VALUES(1)")
        with pytest.raises(ValueError):
            with pool.transaction(lambda: commits.append("bad")) as conn:
                conn.execute("INSERT INTO t VALUES(2)")
                raise ValueError("boom")
        with pool.transaction(lambda: commits.append("three")) as conn:
            conn.execute("INSERT INTO t VALUES(3)")
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # not committed yet
        assert pool.conn().in_transaction
    assert [row[0] for row in reader.execute("SELECT x FROM t ORDER BY x")] == [1, 3]
    assert commits == ["one", "three", "batch"]
    assert not pool.conn().in_transaction


def test_a_failure_escaping_a_batch_rolls_the_whole_batch_back(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    with pytest.raises(ValueError):
        with pool.batch(lambda: None):
            with pool.transaction(lambda: None) as conn:
                conn.execute("INSERT INTO t VALUES(1)")
            raise ValueError("boom")
    assert pool.conn().execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with pool.transaction(lambda: None) as conn:  # the next write is a transaction of its own again
        conn.execute("INSERT INTO t VALUES(2)")
    assert not pool.conn().in_transaction


def test_another_threads_write_during_a_batch_waits_for_it_then_commits_on_its_own(tmp_path: Path) -> None:
    pool = _pool(tmp_path, [])
    wrote = threading.Event()

    def other_thread() -> None:
        with pool.transaction(lambda: None) as conn:  # waits for the batch's lock, then commits on its own
            conn.execute("INSERT INTO t VALUES(2)")
        wrote.set()

    with pool.batch(lambda: None):
        with pool.transaction(lambda: None) as conn:
            conn.execute("INSERT INTO t VALUES(1)")
        worker = threading.Thread(target=other_thread)
        worker.start()
    worker.join()
    assert wrote.is_set()
    assert sorted(row[0] for row in pool.conn().execute("SELECT x FROM t")) == [1, 2]
