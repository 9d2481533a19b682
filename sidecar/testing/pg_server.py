"""A real PostgreSQL + pgvector for tests: the ``pgserver`` wheel, on a Unix socket in a temp folder.

One server per test session (starting costs about a second); each test that needs
a clean store gets its own database from :meth:`PgTestServer.new_database`.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PgUnavailable(RuntimeError):
    """The test server cannot start here (the reason is the message)."""


@dataclass
class PgTestServer:
    """A running server and the base DSN of its ``postgres`` database."""

    server: Any
    folder: Path
    owns_folder: bool = False  # a temp folder made by start_pg_server is removed by stop()
    _numbers: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def dsn(self) -> str:
        return str(self.server.get_uri())

    def dsn_of(self, database: str) -> str:
        return str(self.server.get_uri(database))

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database with the ``vector`` extension; its DSN."""
        import psycopg

        name = f"{prefix}_{next(self._numbers)}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        dsn = self.dsn_of(name)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return dsn

    def restart(self) -> None:
        """Stop and start the server on the same folder (what a database restart looks like to a daemon)."""
        self.server.cleanup()
        import pgserver

        self.server = pgserver.get_server(str(self.folder), cleanup_mode="stop")

    def stop(self) -> None:
        self.server.cleanup()
        if self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_pg_server(folder: Path | None = None) -> PgTestServer:
    """Start the server; :class:`PgUnavailable` with the reason when it cannot."""
    try:
        import pgserver
        import psycopg  # noqa: F401  (the daemon's driver)
    except ImportError as exc:
        raise PgUnavailable(f"pgserver/psycopg not installed ({exc}); pip install -e '.[test,postgres]'") from None
    owns_folder = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="sidecar-pg-"))
    try:
        server = pgserver.get_server(str(folder), cleanup_mode="stop")
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    except Exception as exc:
        raise PgUnavailable(f"the pgserver PostgreSQL did not start: {' '.join(str(exc).split())[:300]}") from None
    return PgTestServer(server, folder, owns_folder)


def pgvector_config(dsn: str, extra: str = "") -> str:
    """A ``config.toml`` body for a daemon on that database."""
    return f'[mem0.vector_store]\nprovider = "pgvector"\nconfig = {{ connection_string = "{dsn}" }}\n{extra}'


@contextmanager
def schema_pool(dsn: str, dims: int) -> Iterator[Any]:
    """A small connection pool on ``dsn`` holding the memories schema of ``dims`` dimensions; closed on exit."""
    from sidecar.store.pg import schema
    from sidecar.store.pg.connection import open_pool

    pool = open_pool(dsn, max_size=2)
    try:
        with pool.connection() as conn:
            conn.autocommit = True
            schema.ensure(conn, "memories", dims)
            conn.autocommit = False
        yield pool
    finally:
        pool.close()
