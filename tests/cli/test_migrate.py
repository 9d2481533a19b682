"""memctl migrate: an embedded store to PostgreSQL and back, keeping ids, timestamps, metadata and history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.config.settings import load_settings
from sidecar.testing.daemons import write_config
from sidecar.testing.pg_server import pgvector_config

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
USERS = ("hana", "ivo")


def memctl(home: Path, *args: str) -> tuple[int, dict]:
    env = {**os.environ, "SIDECAR_HOME": str(home)}
    done = subprocess.run([MEMCTL, "migrate", *args, "--json"], env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, json.loads(done.stdout or done.stderr)


def open_store():
    from sidecar.store.memory_store import MemoryStore

    return MemoryStore(load_settings())


def snapshot(store) -> dict[str, tuple]:
    rows = [row for user in USERS for row in store.get_all(filters={"user_id": user})["results"]]
    return {row["id"]: (row["memory"], row["user_id"], row["metadata"], row["created_at"], row["updated_at"],
                        tuple((h["event"], h["old_memory"], h["new_memory"]) for h in store.history(row["id"])))
            for row in rows}


@pytest.fixture
def embedded_before(isolated_home: Path) -> dict[str, tuple]:
    store = open_store()
    try:
        first = store.add("I deploy with Ansible", user_id="hana", metadata={"project": "infra"})
        store.add("I write Rust at work", user_id="hana")
        store.add("I play the cello", user_id="ivo")
        store.update(first["results"][0]["id"], text="I deploy with Terraform")
        return snapshot(store)
    finally:
        store.close()


def test_an_embedded_store_moves_to_postgres_and_back(isolated_home: Path, embedded_before, pg_server):
    dsn = pg_server.new_database("mig")
    code, dry = memctl(isolated_home, "--to", "pgvector", "--dsn", dsn, "--dry-run")
    assert code == 0 and dry["dry_run"] and dry["source_memories"] == 3 and dry["history_rows"] == 4
    assert dry["copied"] == 0

    code, report = memctl(isolated_home, "--to", "pgvector", "--dsn", dsn)
    assert code == 0 and report["ok"] and report["copied"] == 3 and report["missing_count"] == 0

    load_settings().store_dir.rename(isolated_home / "embedded-store-moved-aside")
    write_config(isolated_home, pgvector_config(dsn))
    store = open_store()
    try:
        assert snapshot(store) == embedded_before
        hit = store.search("Terraform", filters={"user_id": "hana"})["results"][0]
        assert hit["memory"] == "I deploy with Terraform" and hit["score_details"]["keyword"] is not None
    finally:
        store.close()

    code, back = memctl(isolated_home, "--to", "embedded")  # from the database the config names
    assert code == 0 and back["ok"] and back["copied"] == 3 and back["source"] == "pgvector"
    write_config(isolated_home, "")
    store = open_store()
    try:
        assert snapshot(store) == embedded_before and store.count() == 3
    finally:
        store.close()


def test_a_migration_with_no_server_fails_in_one_line(isolated_home: Path, tmp_path: Path):
    code, report = memctl(isolated_home, "--to", "pgvector", "--dsn",
                          f"postgresql://sam:hunter2@/none?host={tmp_path}")
    assert code == 2 and "hunter2" not in report["error"] and "cannot be reached" in report["error"]
