"""Chroma's HNSW index persisted every :data:`SYNC_THRESHOLD` writes, so that each write stays short.

Chroma (1.5, local mode) keeps the rows written since the index was last persisted
in its log and, on every ``add``/``update``, works through that whole tail again; the
tail grows up to ``hnsw:sync_threshold`` rows (1,000 by default). Measured in-process
on the 2-core box (load 8-13): one ``add`` took 4 ms at 50 rows, 26 ms at 800 and
50 ms (p95 181 ms) near 900, falling back after the index was persisted at 1,000;
with a threshold of 100 it stays at ~8 ms (p95 ~45 ms) at any size. The call keeps
the GIL throughout (see :mod:`sidecar.store.chroma_gate`), so every millisecond of it
is one a search of another user may wait. Nothing becomes less durable: every write is
in Chroma's SQLite log, committed before the call returns; the threshold only says how
often the index files are rewritten from it (each time ~1.7 KB per stored row).

The threshold is stored in the collection's configuration: set once, kept by Chroma.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("sidecar.store.chroma_index")

SYNC_THRESHOLD = 100


def tune_index(collection: Any, sync_threshold: int = SYNC_THRESHOLD) -> bool:
    """Lower ``collection``'s HNSW ``sync_threshold`` to ``sync_threshold``; True if it was changed.

    Anything that is not a Chroma collection with an HNSW index is left alone; a
    failure is logged and leaves the collection as it was (writes stay slower).
    """
    try:
        config = getattr(collection, "configuration_json", None)
        hnsw = config.get("hnsw") if isinstance(config, dict) else None
        current = hnsw.get("sync_threshold") if isinstance(hnsw, dict) else None
        if not isinstance(current, int) or current <= sync_threshold:
            return False
        batch = hnsw.get("batch_size")
        update: dict[str, int] = {"sync_threshold": sync_threshold}
        if isinstance(batch, int) and batch > sync_threshold:
            update["batch_size"] = sync_threshold  # Chroma wants batch_size <= sync_threshold
        collection.modify(configuration={"hnsw": update})
    except Exception as exc:  # an older Chroma, a read-only store: it still works, only slower
        log.debug("could not lower Chroma's index sync threshold (%s)", exc)
        return False
    log.info("Chroma's index is now persisted every %d writes (was %d)", sync_threshold, current)
    return True
