"""``memctl doctor`` for the server backend: the PostgreSQL connection, the ``vector`` extension, the tables.

Run only when ``[mem0.vector_store] provider = "pgvector"``. Connection settings are
read as the daemon reads them (the config, then the ``PG*`` environment); the DSN is
shown with its password replaced by ``***``. The driver (psycopg, the ``postgres``
extra) is imported only here, when the check runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar_cli.doctor_local import Check, table

PROVIDER = "pgvector"
INSTALL = "pip install 'agent-memory-sidecar[postgres]'"


def uses_postgres(config: Mapping[str, Any]) -> bool:
    return table(config, "mem0", "vector_store").get("provider") == PROVIDER


def check_postgres(config: Mapping[str, Any]) -> list[Check]:
    """Connection, extension and schema checks (empty for the embedded store)."""
    if not uses_postgres(config):
        return []
    vs_config = table(config, "mem0", "vector_store", "config")
    try:
        import psycopg

        from sidecar.store.pg import schema
        from sidecar.store.pg.connection import CONNECT_TIMEOUT_S, conninfo, redacted
    except ImportError as exc:
        return [Check("postgres", "fail", f"the PostgreSQL driver is not installed ({exc})", INSTALL)]
    dsn = conninfo(vs_config)
    shown = redacted(dsn) or "(the PG* environment)"
    collection = str(vs_config.get("collection_name") or "memories")
    try:
        with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            found = schema.check(conn, collection)
    except psycopg.Error as exc:
        detail = redacted(" ".join(str(exc).split()))
        return [Check("postgres", "fail", f"cannot connect to {shown}: {detail}",
                      "start the server, or fix [mem0.vector_store] config (connection_string or host/port/user/"
                      "dbname; the password may come from PGPASSWORD or ~/.pgpass)")]
    checks = [Check("postgres", "ok", f"PostgreSQL {found['server_version']} at {shown}")]
    if found["vector"]:
        checks.append(Check("pgvector", "ok", f"extension vector {found['vector']} installed"))
    elif found["vector_available"]:
        checks.append(Check("pgvector", "warn", "extension vector is available but not created in this database; "
                                                "the daemon creates it at start if its role may",
                            "psql -c 'CREATE EXTENSION vector' (as a role that may create extensions)"))
    else:
        checks.append(Check("pgvector", "fail", "the server has no vector extension",
                            "install pgvector on the server (e.g. the postgresql-16-pgvector package)"))
    missing = sorted(name for name, present in found["tables"].items() if not present)
    if not missing:
        checks.append(Check("pg schema", "ok", f"tables {', '.join(found['tables'])} present"))
    else:
        checks.append(Check("pg schema", "warn" if len(missing) == len(found["tables"]) else "fail",
                            f"missing table(s): {', '.join(missing)}",
                            "start the daemon once: it creates them" if len(missing) == len(found["tables"])
                            else "memctl service restart    (the daemon creates missing tables at start)"))
    return checks
