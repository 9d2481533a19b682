"""The server backend's own parts against a real PostgreSQL: scope locks across stores, the password, the card."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sidecar.config.settings import load_settings
from sidecar.store.pg.connection import redacted
from sidecar.testing.daemons import write_config
from sidecar.testing.pg_server import pgvector_config


def open_store(home: Path, dsn: str, extra: str = ""):
    from sidecar.store.memory_store import MemoryStore

    write_config(home, pgvector_config(dsn, extra))
    return MemoryStore(load_settings())


def test_a_scope_lock_held_by_one_store_holds_off_another_store_on_the_same_database(isolated_home, pg_dsn):
    first, second = open_store(isolated_home, pg_dsn), open_store(isolated_home, pg_dsn)
    try:
        held, tried, entered = threading.Event(), threading.Event(), threading.Event()
        release = threading.Event()

        def hold() -> None:
            with first.scope_lock({"user_id": "alice"}):
                held.set()
                release.wait()

        def take() -> None:
            held.wait()
            tried.set()
            with second.scope_lock({"user_id": "alice"}):
                entered.set()

        threads = [threading.Thread(target=hold), threading.Thread(target=take)]
        for thread in threads:
            thread.start()
        tried.wait()
        with second.scope_lock({"user_id": "bob"}):  # another scope is free meanwhile
            pass
        assert not entered.wait(0.5)  # blocked while the first store holds alice (not a timing bound: a lower one)
        release.set()
        for thread in threads:
            thread.join()
        assert entered.is_set()
    finally:
        first.close()
        second.close()


def test_the_store_card_refuses_another_embedder(isolated_home, pg_dsn):
    from sidecar.store.meta import EmbedderMismatch

    open_store(isolated_home, pg_dsn).close()
    with pytest.raises(EmbedderMismatch, match="configure the same embedder"):
        open_store(isolated_home, pg_dsn, '[mem0.embedder]\nprovider = "embedded"\nconfig = { model = "multilingual-e5" }\n')


@pytest.mark.parametrize("dsn", ["postgresql://sam:hunter2@db.example:5432/mem",
                                 "host=db.example user=sam password=hunter2 dbname=mem",
                                 "host=db.example password='hun ter2' dbname=mem"])
def test_redacted_never_shows_the_password(dsn):
    shown = redacted(dsn)
    assert "hunter2" not in shown and "hun ter2" not in shown and "***" in shown and "db.example" in shown
