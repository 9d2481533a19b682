"""The server backend: mem0's ``pgvector`` provider, our keyword table, history and card, one pool.

Built by :func:`sidecar.store.backend.open_backend` when ``[mem0.vector_store]
provider = "pgvector"``. The user's ``[mem0.vector_store] config`` reaches mem0
unchanged except for ``connection_pool`` (ours, shared with mem0 so one pool serves
every query) and, when absent, ``embedding_model_dims`` (the embedder's size).
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from typing import Any

from sidecar.store.meta import EmbedderMismatch
from sidecar.store.mem0_config import EmbedderChoice
from sidecar.store.pg import schema
from sidecar.store.pg.connection import conninfo, is_unavailable, open_pool, redacted
from sidecar.store.pg.history import PgHistory
from sidecar.store.pg.keyword import PgKeywordIndex
from sidecar.store.pg.locks import AdvisoryScopeLocks
from sidecar.store.pg.rows import PgRows

log = logging.getLogger("sidecar.store.pg")
PROVIDER = "pgvector"


class PgBackend:
    """PostgreSQL + pgvector, shared by every daemon configured with the same database."""

    name = PROVIDER
    shared = True

    def __init__(self, mem0_config: dict[str, Any], choice: EmbedderChoice) -> None:
        vs_config = mem0_config["vector_store"]["config"]
        self.dsn = conninfo(vs_config)
        self.table = str(vs_config.get("collection_name") or "memories")
        self.pool = open_pool(self.dsn)
        try:
            with self.pool.connection() as conn:
                conn.autocommit = True
                try:
                    schema.ensure(conn, self.table, choice.dims)
                    _check_card(conn, self.table, choice)
                finally:
                    conn.autocommit = False
        except BaseException:
            self.pool.close()
            raise
        vs_config["connection_pool"] = self.pool
        vs_config.setdefault("embedding_model_dims", choice.dims)
        mem0_config["history_db_path"] = ":memory:"  # mem0's SQLite history is replaced by ours
        self.rows = PgRows(self.pool, self.table)
        self.history = PgHistory(self.pool)
        self._locks = AdvisoryScopeLocks(self.pool)

    def keyword_index(self) -> PgKeywordIndex:
        return PgKeywordIndex(self.pool, label=f"{schema.KEYWORDS} in {redacted(self.dsn)}")

    def scope_lock(self, scope_key: tuple) -> AbstractContextManager[None]:
        return self._locks.hold(scope_key)

    def is_unavailable(self, exc: BaseException) -> bool:
        return is_unavailable(exc)

    def describe(self) -> dict[str, Any]:
        """For ``status`` and ``doctor``: never the password."""
        return {"backend": self.name, "database": redacted(self.dsn), "collection": self.table}

    def close(self) -> None:
        self.pool.close()


def _check_card(conn: Any, collection: str, choice: EmbedderChoice) -> None:
    """The database's card names the embedder that wrote its vectors; another one is refused."""
    key = f"card:{collection}"
    row = conn.execute(f"SELECT value FROM {schema.META} WHERE key = %s", (key,)).fetchone()
    if row is None:
        conn.execute(f"INSERT INTO {schema.META} (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (key, json.dumps({"embedder": choice.name, "dims": choice.dims})))
        return
    card = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    if (card.get("embedder"), card.get("dims")) != (choice.name, choice.dims):
        raise EmbedderMismatch(
            f"the PostgreSQL store {collection!r} holds vectors of {card.get('embedder')} "
            f"({card.get('dims')} dimensions), but the configured embedder is {choice.name} ({choice.dims}); "
            "configure the same embedder on every daemon of this database")

