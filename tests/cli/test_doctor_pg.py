"""memctl doctor's PostgreSQL checks against a real server: connection, the vector extension, the tables."""

from __future__ import annotations

from pathlib import Path

from sidecar_cli.doctor_pg import check_postgres


def config_for(dsn: str) -> dict:
    return {"mem0": {"vector_store": {"provider": "pgvector", "config": {"connection_string": dsn}}}}


def by_name(checks) -> dict[str, tuple[str, str]]:
    return {check.name: (check.status, check.detail) for check in checks}


def test_the_embedded_store_needs_no_postgres_checks():
    assert check_postgres({}) == []


def test_an_empty_database_has_the_extension_and_no_tables_yet(pg_dsn):
    found = by_name(check_postgres(config_for(pg_dsn)))
    assert found["postgres"][0] == "ok" and "PostgreSQL 16" in found["postgres"][1]
    assert found["pgvector"][0] == "ok"
    assert found["pg schema"][0] == "warn" and "sidecar_keywords" in found["pg schema"][1]


def test_a_store_opened_once_has_every_table(isolated_home: Path, pg_dsn):
    from sidecar.store.pg.backend import PgBackend
    from sidecar.store.mem0_config import EmbedderChoice

    config = config_for(pg_dsn)
    PgBackend({"vector_store": {"provider": "pgvector", "config": {"connection_string": pg_dsn,
                                                                   "collection_name": "memories"}}},
              EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384)).close()
    assert by_name(check_postgres(config))["pg schema"][0] == "ok"


def test_an_unreachable_server_fails_without_showing_the_password(tmp_path: Path):
    checks = check_postgres(config_for(f"postgresql://sam:hunter2@/memories?host={tmp_path}"))
    assert [c.status for c in checks] == ["fail"]
    assert "hunter2" not in checks[0].detail and "***" in checks[0].detail
