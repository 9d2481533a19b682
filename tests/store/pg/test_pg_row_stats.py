"""The row count the server keeps for mem0's table: exact after every kind of write, and read without a scan."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sidecar.store.pg import row_stats, schema
from sidecar.store.pg.rows import PgRows
from sidecar.testing.pg_server import schema_pool


@pytest.fixture
def pool(pg_dsn: str) -> Iterator[Any]:
    with schema_pool(pg_dsn, 3) as pool:
        yield pool


def insert(conn: Any, n: int, user: str = "u1") -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    conn.execute("INSERT INTO memories (id, vector, payload) SELECT i::uuid, '[1,0,0]', jsonb_build_object('user_id', "
                 "%s::text) FROM unnest(%s::text[]) AS i", (user, ids))
    return ids


def actual(pool: Any) -> int:
    with pool.connection() as conn:
        return int(conn.execute("SELECT count(*) FROM memories").fetchone()[0])


def test_the_count_follows_inserts_upserts_deletes_and_truncate(pool):
    rows = PgRows(pool, "memories")
    assert rows.count() == 0
    with pool.connection() as conn:
        ids = insert(conn, 5)
        conn.execute("INSERT INTO memories (id, vector, payload) VALUES (%s, '[0,1,0]', '{}'), (%s, '[0,1,0]', '{}') "
                     "ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload", (ids[0], str(uuid.uuid4())))
        conn.execute("UPDATE memories SET payload = '{\"user_id\": \"u2\"}' WHERE id = %s", (ids[1],))
    assert rows.count() == actual(pool) == 6  # the upsert of an existing id added nothing
    with pool.connection() as conn:
        conn.execute("DELETE FROM memories WHERE id = ANY(%s::uuid[])", (ids[:3],))
        conn.execute("DELETE FROM memories WHERE id = %s", (str(uuid.uuid4()),))  # nothing there
    assert rows.count() == actual(pool) == 3
    with pool.connection() as conn:
        conn.execute("TRUNCATE memories")
        insert(conn, 2)
    assert rows.count() == actual(pool) == 2


def test_a_transaction_counts_its_own_writes_and_not_those_of_one_still_open(pool):
    rows = PgRows(pool, "memories")
    with pool.connection() as writer:
        insert(writer, 4)
        assert row_stats.count(writer, "memories") == 4  # its own, not committed yet
        assert rows.count() == 0  # another connection does not see them
    assert rows.count() == 4


def test_many_writes_are_folded_into_one_row_and_the_count_stays_exact(pool, monkeypatch):
    monkeypatch.setattr(row_stats, "FOLD_AFTER", 3)
    rows = PgRows(pool, "memories")
    for _ in range(6):
        with pool.connection() as conn:
            insert(conn, 2)
    assert rows.count() == 12  # six rows of stats: this count folds them
    with pool.connection() as conn:
        parts = conn.execute(f"SELECT count(*) FROM {row_stats.ROW_STATS}").fetchone()[0]
    assert parts == 1 and rows.count() == actual(pool) == 12


def test_a_table_made_before_the_count_gets_it_from_its_rows_once(pool):
    with pool.connection() as conn:
        insert(conn, 3)
        for name in ("added", "removed", "cleared"):
            conn.execute(f"DROP TRIGGER {row_stats.ROW_STATS}_{name} ON memories")
        conn.execute(f"DROP TABLE {row_stats.ROW_STATS}")
        insert(conn, 2)  # written with no trigger
        conn.commit()
        conn.autocommit = True
        schema.ensure(conn, "memories", 3)
        schema.ensure(conn, "memories", 3)  # a second daemon's start changes nothing
        conn.autocommit = False
        insert(conn, 1)
    assert PgRows(pool, "memories").count() == actual(pool) == 6


def test_collections_are_counted_apart(pool):
    with pool.connection() as conn:
        conn.autocommit = True
        schema.ensure(conn, "other", 3)
        conn.autocommit = False
        conn.execute("INSERT INTO other (id, vector, payload) VALUES (%s, '[1,0,0]', '{}')", (str(uuid.uuid4()),))
        insert(conn, 2)
    assert (PgRows(pool, "memories").count(), PgRows(pool, "other").count()) == (2, 1)


class OneConnection:
    """A pool lending one connection, so a test can read that connection's own statistics."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        yield self.conn


def test_counting_reads_no_row_of_the_table(pool):
    with pool.connection() as conn:
        insert(conn, 50)
    with pool.connection() as conn:
        reader = PgRows(OneConnection(conn), "memories")
        read = ("SELECT pg_stat_get_xact_numscans('memories'::regclass), "
                "pg_stat_get_xact_tuples_returned('memories'::regclass)")
        before = conn.execute(read).fetchone()
        assert reader.count() == 50
        assert conn.execute(read).fetchone() == before
        conn.execute("SELECT count(*) FROM memories").fetchone()  # what the count cost before
        assert conn.execute(read).fetchone() != before
