"""Fixtures of the op-level tests: the in-memory store and the real op table over it."""

from __future__ import annotations

import pytest

from sidecar.rpc.dispatch import OpTable
from sidecar.testing.fake_store import FakeStore
from sidecar.testing.op_calls import store_op_table


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture()
def table(store: FakeStore) -> OpTable:
    return store_op_table(store)
