"""The composition root's first stage: the parts that answer searches while the rest of the daemon loads.

:func:`build_reads` opens the store with its reads first (the embedder, the keyword
index and the Chroma collection, without mem0: see :class:`~sidecar.store.memory_store.MemoryStore`)
and an op table with only the ops those parts can answer. The daemon's front serves
them (:mod:`sidecar.process.early_reads`) while :class:`sidecar.composition.Daemon`
loads mem0, the judge, the watcher and the rest on the same build thread.

Nothing here imports mem0, spaCy or the learn/context services: this module is what
stands between the start and the first search answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from sidecar.config.settings import Settings
from sidecar.ops.store_ops import register_store_ops
from sidecar.rpc.dispatch import OpTable
from sidecar.store import chroma_log
from sidecar.store.backend import open_backend
from sidecar.store.chroma_journal import use_wal_for
from sidecar.store.memory_store import MemoryStore

EARLY_OPS = ("search", "get", "get_all")  # answered from the reads part; every other op waits for the whole daemon


@dataclass(frozen=True)
class ReadPart:
    """The store (mem0 not loaded yet) and the ops answered before the daemon is whole."""

    settings: Settings
    store: MemoryStore
    ops: OpTable


def prepare_chroma(settings: Settings) -> None:
    """What must happen before Chroma opens: a requested log scrub finished, the WAL journal chosen."""
    if chroma_log.requested(settings.store_dir):
        from sidecar.admin.scrub import scrub_chroma_log_if_requested  # heavy: only when a scrub asked for it

        scrub_chroma_log_if_requested(settings)
    use_wal_for(settings)  # its writes hold the GIL (see sidecar.store.chroma_journal)


def build_reads(settings: Settings) -> ReadPart:
    """Open the store's reads and the table of :data:`EARLY_OPS` (mem0 is loaded later, by the daemon)."""
    prepare_chroma(settings)
    store = MemoryStore(settings, open_backend(settings), reads_first=True)
    try:
        every = OpTable()
        register_store_ops(every, store, None)
        ops = OpTable()
        for name in EARLY_OPS:
            op = every.get(name)
            assert op is not None and not op.write
            ops.register(name, op.handler, write=False)
    except BaseException:
        store.close()
        raise
    return ReadPart(settings, store, ops)
