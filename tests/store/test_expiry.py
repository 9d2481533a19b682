"""A memory past its ``expiration_date`` is never returned: not by search (either channel), listing or newest."""

from pathlib import Path

import pytest

from sidecar.config.settings import load_settings


@pytest.fixture
def store(isolated_home: Path):
    from sidecar.store.memory_store import MemoryStore

    memory_store = MemoryStore(load_settings())
    yield memory_store
    memory_store.close()


def test_an_expired_memory_is_not_returned(store) -> None:
    scope = {"user_id": "ivo"}
    store.add("Covering the payments pager rota", user_id="ivo", metadata={"expiration_date": "2020-01-31"})
    store.add("Covering the payments pager rota next year", user_id="ivo", metadata={"expiration_date": "2999-01-01"})
    store.add("Lives in Tartu", user_id="ivo")
    # "payments pager rota" matches both by keyword, so the keyword channel alone would bring the expired one back
    found = [h["memory"] for h in store.search("payments pager rota", filters=scope)["results"]]
    assert "Covering the payments pager rota" not in found and "Covering the payments pager rota next year" in found
    listed = [r["memory"] for r in store.get_all(filters=scope)["results"]]
    assert sorted(listed) == ["Covering the payments pager rota next year", "Lives in Tartu"]
    newest, _ = store.newest(scope, 10)
    assert sorted(r["memory"] for r in newest) == ["Covering the payments pager rota next year", "Lives in Tartu"]
