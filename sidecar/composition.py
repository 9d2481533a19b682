"""The composition root: every part of the daemon is built here, in dependency order.

Each part receives what it uses through its constructor; nothing is looked up
by name at run time, so a part can never miss one built after it::

    settings ─► store ─► learn (queue, judge, reconciler, gate worker, watcher)
                  │        │ session turns, sentence scorer
                  ├────────┴─► context (MemoryManager hub, MEMORY.md sync, sessions)
                  ├─► admin (store statistics)
                  └─► op table (sidecar.ops.registry) ─► server (socket + worker pool)

The store's reads come first (:mod:`sidecar.composition_reads`, served while the rest
loads); :class:`Daemon` then loads mem0 into that store and builds everything else.
Background work starts only once the socket is bound (:meth:`Daemon.start_background`)
and stops in the reverse order (:meth:`Daemon.close`).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sidecar import __version__
from sidecar.admin.scrub import SecretScrubber
from sidecar.admin.service import AdminService
from sidecar.composition_reads import ReadPart, prepare_chroma
from sidecar.config.settings import Settings, load_settings
from sidecar.context.service import ContextService
from sidecar.learn.consolidate.background import ConsolidationPass, top_scopes
from sidecar.learn.consolidate.consolidator import Consolidator, minilm_for
from sidecar.learn.review.policy import same_gate_but_modes
from sidecar.learn.service import LearnService
from sidecar.ops.learn_ops import register_consolidate_op
from sidecar.ops.registry import build_op_table
from sidecar.process import offline
from sidecar.rpc.server import Server
from sidecar.store.backend import open_backend
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.composition")


class Daemon:
    """The built daemon: its parts, their status, their start and their close."""

    def __init__(self, settings: Settings, reads: ReadPart | None = None) -> None:
        """Build every part; ``reads``: the store already opened for reads (its mem0 is loaded here)."""
        self.settings = settings
        self._parts: list[tuple[str, Any]] = []  # started in this order, closed in the reverse order
        if reads is None:
            prepare_chroma(settings)
            self.store = MemoryStore(settings, open_backend(settings))  # [mem0.vector_store] provider picks it
        else:
            self.store = reads.store
        try:
            self.store.load_writes()  # mem0; operations that need it wait for it until then
            self.learn = self._part("ingest", LearnService(  # "ingest": its key in status since v0.1
                store=self.store, data_dir=settings.paths.data_dir, user_id=settings.user_id,
                watch=settings.watch, gate=settings.gate, ollama_url=settings.ollama_url,
                embedder_threads=settings.embedder_threads))
            self.context = self._part("context", ContextService(
                settings=settings, store=self.store, gate=self.learn.session_turns,
                gate_score=self.learn.sentence_score))
            self.admin = self._part("admin", AdminService(store=self.store, data_dir=settings.paths.data_dir))
            self.consolidator = Consolidator(self.store, minilm_for(self.store, settings.embedder_threads),
                                             self.learn.provenance)
            self.consolidation = self._part("consolidate", ConsolidationPass(
                self.consolidator, lambda: top_scopes(self.store), settings.consolidate.interval_hours))
            self.ops = build_op_table(store=self.store, learn=self.learn, context=self.context,
                                      status=self.status, default_user=settings.user_id,
                                      scrubber=SecretScrubber(store=self.store, sessions=self.context.hub.sessions,
                                                              md=self.context.md))
            register_consolidate_op(self.ops, self.consolidator)
            self.server = Server(settings.paths, self.ops, workers=settings.workers,
                                 queue_size=settings.queue_size, drain_seconds=settings.drain_seconds,
                                 queue_per_key=settings.queue_per_key,
                                 socket_check_seconds=settings.socket_check_seconds, on_reload=self.reload)
            if self.store.embedder is not None:  # write work pauses before each model run while reads run
                self.store.embedder.set_checkpoint(self.server.reads_first.checkpoint)
                self.store.embedder.set_quiet(self.server.reads_first.quiet)  # a second core only then
        except BaseException:
            self.close()  # a part that failed to build leaves no open files or threads behind
            raise

    def _part(self, name: str, part: Any) -> Any:
        self._parts.append((name, part))
        return part

    def status(self) -> dict[str, Any]:
        """The ``status`` op: identity, store, each part's figures and the server's metrics."""
        paths = self.settings.paths
        data: dict[str, Any] = {
            "state": "ready",  # "starting" while the parts load (sidecar.process.front answers then)
            "loading": {"reads": "ready", "writes": self.store.writes.state},  # as the front says while starting
            "version": __version__,
            "pid": os.getpid(),
            "socket": str(paths.socket_path),
            "store_path": str(self.store.path),
            "embedder": self.store.choice.name,
            "dims": self.store.choice.dims,
            "store_backend": self.store.backend.describe(),
            "memories": self.store.count(),
            "search": self.store.search_status(),
            "workers": self.settings.workers,
            "telemetry_off": all(offline.status().values()),
        }
        for name, part in self._parts:
            try:
                data[name] = part.status()
            except Exception as exc:  # status must answer even when a part is broken
                data[name] = {"error": str(exc)}
        return {**data, **self.server.metrics()}

    def start_background(self) -> None:
        """Start each part's threads (called once the socket is bound)."""
        for _, part in self._parts:
            part.start()

    def reload(self) -> None:
        """SIGHUP: re-read the config; the gate's modes apply at once, what needs a restart is logged."""
        fresh = load_settings()
        logging.getLogger().setLevel(fresh.log_level)
        self.learn.review.policy.use(fresh.gate)  # [gate] mode and [gate.sources] apply at once
        if dict(fresh.mem0) != dict(self.settings.mem0) or not same_gate_but_modes(self.settings.gate, fresh.gate) \
                or fresh.watch != self.settings.watch or fresh.context != self.settings.context \
                or fresh.search != self.settings.search or fresh.consolidate != self.settings.consolidate:
            log.warning("the configuration changed in a table that needs a restart of the daemon to apply")
        log.info("configuration reloaded from %s", fresh.paths.config_file)

    def close(self) -> None:
        for name, part in reversed(self._parts):
            try:
                part.close()
            except Exception:
                log.exception("closing %s failed", name)
        self.store.close()
