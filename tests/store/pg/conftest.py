"""Fixtures of the server-backend tests (the server itself is ``pg_server`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.store.pg import schema
from sidecar.store.pg.connection import open_pool


@pytest.fixture
def keyword_pool(pg_dsn: str) -> Iterator[object]:
    """A small connection pool on a fresh database with the memories schema (384 dimensions)."""
    pool = open_pool(pg_dsn, max_size=2)
    with pool.connection() as conn:
        conn.autocommit = True
        schema.ensure(conn, "memories", 384)
        conn.autocommit = False
    yield pool
    pool.close()
