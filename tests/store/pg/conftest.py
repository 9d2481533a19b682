"""Fixtures of the server-backend tests (the server itself is ``pg_server`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.testing.pg_server import schema_pool


@pytest.fixture
def keyword_pool(pg_dsn: str) -> Iterator[object]:
    """A small connection pool on a fresh database with the memories schema (384 dimensions)."""
    with schema_pool(pg_dsn, 384) as pool:
        yield pool
