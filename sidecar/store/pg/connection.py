"""Where the PostgreSQL server is, one connection pool for mem0 and us, and what "unavailable" means.

Connection settings come from ``[mem0.vector_store] config`` (``connection_string``,
or mem0's ``host``/``port``/``user``/``password``/``dbname``/``sslmode``), and
whatever they leave out from the usual ``PG*`` environment (libpq reads it). The
password is never printed: :func:`redacted` is the only way a DSN reaches a log line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sidecar.store.errors import StoreUnavailable

POOL_MIN = 1
POOL_MAX = 24  # per daemon: a writer may hold three at once (its scope's advisory lock, the keyword batch, mem0's insert)
POOL_TIMEOUT_S = 5.0  # a request waits this long for a connection before store_unavailable
CONNECT_TIMEOUT_S = 5
_KEYS = ("host", "port", "user", "password", "dbname", "sslmode")


def conninfo(vs_config: Mapping[str, Any]) -> str:
    """The libpq conninfo for mem0's pgvector config table (empty parts come from ``PG*``)."""
    dsn = vs_config.get("connection_string")
    if dsn:
        return str(dsn)
    from psycopg.conninfo import make_conninfo

    return make_conninfo("", **{k: str(vs_config[k]) for k in _KEYS if vs_config.get(k) not in (None, "")})


def redacted(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***`` (URI or key=value form)."""
    dsn = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn)


def open_pool(dsn: str, *, max_size: int = POOL_MAX) -> Any:
    """A psycopg pool that checks each connection before lending it, so a restarted server is reconnected."""
    try:
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        from sidecar.config.settings import ConfigError

        raise ConfigError("the pgvector store needs the postgres extra "
                          f"(pip install 'agent-memory-sidecar[postgres]'): {exc}") from None
    import psycopg

    try:  # one direct attempt first: a server that is not there fails now, not after the pool's wait
        psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise StoreUnavailable(f"PostgreSQL at {redacted(dsn) or '(PG* environment)'} cannot be reached: "
                               f"{redacted(_one_line(exc))}") from None
    pool = ConnectionPool(conninfo=dsn, min_size=POOL_MIN, max_size=max_size, open=False,
                          timeout=POOL_TIMEOUT_S, check=ConnectionPool.check_connection,
                          kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
                          name="sidecar-store")
    try:
        pool.open(wait=True, timeout=POOL_TIMEOUT_S + CONNECT_TIMEOUT_S)
    except Exception as exc:
        pool.close()
        raise StoreUnavailable(f"PostgreSQL at {redacted(dsn) or '(PG* environment)'} cannot be reached: "
                               f"{redacted(_one_line(exc))}") from None
    return pool


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the server cannot be reached now (worth a retry), not a bad request."""
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(exc, (psycopg.OperationalError, PoolTimeout, psycopg.InterfaceError))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__
