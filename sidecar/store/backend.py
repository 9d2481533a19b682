"""Which store backend a daemon uses, chosen once by ``[mem0.vector_store] provider``.

Two implementations of one small interface (:class:`StoreBackend`):

* embedded (``chroma``, the default): Chroma on disk, the SQLite FTS5 keyword
  index and mem0's SQLite history, all in the data folder; one daemon owns it;
* server (``pgvector``): PostgreSQL + pgvector through mem0's own provider, the
  keyword channel and history in tables of the same database
  (:mod:`sidecar.store.pg`); several daemons share it.

Another mem0 vector store (Qdrant, Milvus) is a third implementation: its raw
row reads (:class:`~sidecar.store.chroma_rows.ChromaRows`' five methods), a
keyword index, and where its history lives.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Protocol

from sidecar.config.settings import ConfigError, Settings
from sidecar.store.keyword import KeywordIndex
from sidecar.store.mem0_config import EmbedderChoice, build_mem0_config
from sidecar.store.meta import check_or_record, opened

EMBEDDED = "chroma"
SERVER = "pgvector"
SUPPORTED = (EMBEDDED, SERVER)


class StoreBackend(Protocol):
    """What :class:`sidecar.store.memory_store.MemoryStore` needs besides mem0 itself."""

    name: str
    shared: bool  # several daemons may use it at once
    rows: Any  # raw row reads (None: mem0's Chroma collection); see ChromaRows
    history: Any  # mem0's history store replacement (None: mem0's own SQLite file)
    mem0_config: dict[str, Any]  # what mem0 is built from (completed by the backend)
    choice: EmbedderChoice

    def keyword_index(self) -> Any: ...

    def scope_lock(self, scope_key: tuple) -> AbstractContextManager[None]: ...

    def is_unavailable(self, exc: BaseException) -> bool: ...

    def describe(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class EmbeddedBackend:
    """Chroma + SQLite in ``store_dir`` (one daemon: the instance lock guards it)."""

    name = EMBEDDED
    shared = False
    rows = None
    history = None

    def __init__(self, store_dir: Path, choice: EmbedderChoice) -> None:
        self.store_dir = store_dir
        self.choice = choice
        check_or_record(store_dir, choice)

    def opened(self) -> None:
        opened(self.store_dir, self.choice)  # recorded only once open; a migration (backed up first) is over

    def keyword_index(self) -> KeywordIndex:
        return KeywordIndex(self.store_dir / "keyword.db")

    def scope_lock(self, scope_key: tuple) -> AbstractContextManager[None]:
        return nullcontext()  # the in-process scope lock is the whole story for one daemon

    def is_unavailable(self, exc: BaseException) -> bool:
        return False

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "path": str(self.store_dir)}

    def close(self) -> None:
        pass


def provider_of(settings: Settings) -> str:
    """The ``[mem0.vector_store] provider`` (``chroma`` when absent)."""
    table = dict(settings.mem0).get("vector_store") or {}
    return str(table.get("provider") or EMBEDDED) if isinstance(table, dict) else EMBEDDED


def open_backend(settings: Settings) -> StoreBackend:
    """The backend ``[mem0.vector_store] provider`` names, with the mem0 config it completed.

    The result carries ``mem0_config`` (the dict for mem0) and ``choice`` (the embedder);
    :class:`ConfigError` for a provider the daemon cannot serve.
    """
    mem0_config, choice = build_mem0_config(settings)
    backend = _open(settings, mem0_config, choice)
    backend.mem0_config, backend.choice = mem0_config, choice
    return backend


def _open(settings: Settings, mem0_config: dict[str, Any], choice: EmbedderChoice) -> Any:
    provider = mem0_config["vector_store"]["provider"]
    if provider == EMBEDDED:
        return EmbeddedBackend(settings.store_dir, choice)
    if provider == SERVER:
        try:
            from sidecar.store.pg.backend import PgBackend
        except ImportError as exc:
            raise ConfigError(f"[mem0.vector_store] provider = \"pgvector\" needs the postgres extra "
                              f"(pip install 'agent-memory-sidecar[postgres]'): {exc}") from None
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        return PgBackend(mem0_config, choice)
    raise ConfigError(f"[mem0.vector_store] provider {provider!r} is not supported by the daemon yet "
                      f"(supported: {', '.join(SUPPORTED)})")
