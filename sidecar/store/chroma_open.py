"""mem0's Chroma collection opened without mem0, so searches can be answered while mem0 still loads.

Importing mem0 costs seconds (it drags in qdrant_client and openai), and searches
need none of it: they read the collection directly (:class:`~sidecar.store.chroma_rows.ChromaRows`)
and embed with our own model. So the store opens the collection here first, with
the settings mem0's ``ChromaDB`` vector store uses for a local path
(``anonymized_telemetry=False``, ``persist_directory=path``, ``is_persistent=True``).
Chroma keeps one system per persist directory in a process, so when mem0 later
builds its client with the same settings, both share that system and see the same
rows; settings that differed would make Chroma refuse mem0's client
(``tests/store/test_memory_store_reads_first.py`` writes through mem0 after such an open
and reads the rows both ways).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.store.chroma_rows import ChromaRows
from sidecar.store.errors import StoreError


def local_chroma(mem0_config: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(path, collection name)`` when ``mem0_config`` keeps Chroma in a local folder, else None."""
    vector_store = mem0_config.get("vector_store") or {}
    if vector_store.get("provider") != "chroma":
        return None
    config = vector_store.get("config") or {}
    if not config.get("path") or config.get("host") or config.get("api_key") or config.get("client"):
        return None
    return str(config["path"]), str(config.get("collection_name") or "mem0")


def open_rows(mem0_config: Mapping[str, Any]) -> ChromaRows | None:
    """Direct reads of the collection mem0 will use (created if missing, as mem0 does), or None
    when the vector store is not a local Chroma folder."""
    local = local_chroma(mem0_config)
    if local is None:
        return None
    import chromadb
    from chromadb.config import Settings

    path, name = local
    try:
        client = chromadb.Client(Settings(anonymized_telemetry=False, persist_directory=path, is_persistent=True))
        return ChromaRows(client.get_or_create_collection(name=name))
    except Exception as exc:  # a file of the store: corrupt, unreadable, not what it should be
        raise StoreError(f"could not open the store: {' '.join(str(exc).split())}") from exc
