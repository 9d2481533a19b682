"""The ingest component: transcripts in, memories out, through the write gate.

Built by the app as ``IngestComponent(app)``. It owns the job queue
(``<data_dir>/ingest/queue.db``), the provenance table
(``<data_dir>/ingest/provenance.db``), the transcript watcher, the judge and
reconciler (embedded by default, Ollama when ``[gate] backend = "ollama"``) and
the gate worker, and registers the ``ingest`` and ``watch.status`` ops plus the
gated ``add`` and the provenance-enriched ``history``.

``[watch]`` keys: ``enabled`` (table agent -> bool), ``aider_projects`` and
``generic_dirs`` (lists of folders), ``rescan_seconds``, ``debounce_ms``, ``on``
(false turns the watcher off; the ``ingest`` op still works). ``[gate]`` keys:
``backend``, ``reconciler``, ``model``, ``num_ctx``, ``retry_base_s``, ``retry_max_s``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sidecar.learn.apply.pipeline import GatePipeline
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.apply.gate_worker import GateWorker
from sidecar.ops.learn_ops import register_ingest_ops
from sidecar.learn.queue.job_queue import JobQueue
from sidecar.learn.watch.scanner import FileScanner
from sidecar.learn.watch.sources import Source, default_sources
from sidecar.learn.watch.watcher import TranscriptWatcher

log = logging.getLogger("sidecar.ingest")


def _paths(value: Any, key: str) -> list[Path]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        from sidecar.config.settings import ConfigError

        raise ConfigError(f"watch.{key} must be a list of folder paths")
    return [Path(os.path.expanduser(v)) for v in value]


class IngestComponent:
    """Transcript watcher + durable queue + asynchronous write gate."""

    name = "ingest"

    def __init__(self, app: Any) -> None:
        settings = app.settings
        self.settings = settings
        self.store = app.store
        watch, gate = dict(settings.watch), dict(settings.gate)
        folder = settings.paths.data_dir / "ingest"
        folder.mkdir(parents=True, exist_ok=True)
        self.queue = JobQueue(folder / "queue.db")
        self.provenance = ProvenanceLog(folder / "provenance.db")
        self.backend = str(gate.get("backend", "embedded"))
        embedder = self.store.embedder
        if embedder is None and (self.backend != "ollama" or gate.get("reconciler", self.backend) != "ollama"):
            from sidecar.store.embedder import MiniLMEmbedder

            embedder = MiniLMEmbedder(threads=settings.embedder_threads)
        self.judge = self._build_judge(gate, embedder)
        self.reconciler = self._build_reconciler(gate, embedder)
        self.pipeline = GatePipeline(self.store, self.judge, self.reconciler, self.provenance,
                                     embedder=self.store.embedder)
        self.worker = GateWorker(self.queue, self.pipeline, settings.user_id,
                                 retry_base_s=float(gate.get("retry_base_s", 1.0)),
                                 retry_max_s=float(gate.get("retry_max_s", 300.0)))
        self.scanner = FileScanner(self.queue, on_queued=self.worker.wake)
        self._enabled = {str(k): bool(v) for k, v in dict(watch.get("enabled", {}) or {}).items()}
        self._aider = _paths(watch.get("aider_projects"), "aider_projects")
        self._generic = _paths(watch.get("generic_dirs"), "generic_dirs")
        self.watcher: TranscriptWatcher | None = None
        if watch.get("on", True):
            self.watcher = TranscriptWatcher(
                self.sources, self.scanner.scan,
                known_files=lambda: [(f["path"], f["agent"]) for f in self.queue.files() if not f["deleted"]],
                debounce_s=float(watch.get("debounce_ms", 300)) / 1000.0,
                rescan_s=float(watch.get("rescan_seconds", 30)),
            )
        register_ingest_ops(app.ops, self)

    def _build_judge(self, gate: dict[str, Any], embedder: Any) -> Any:
        if self.backend == "ollama":
            from sidecar.llm.ollama_client import OllamaClient
            from sidecar.learn.judge.ollama_judge import OllamaJudge

            return OllamaJudge(OllamaClient(self.settings.ollama_url), model=gate.get("model"),
                               num_ctx=gate.get("num_ctx"))
        from sidecar.learn.judge.embedded_judge import EmbeddedJudge

        return EmbeddedJudge(embedder)

    def _build_reconciler(self, gate: dict[str, Any], embedder: Any) -> Any:
        if str(gate.get("reconciler", self.backend)) == "ollama":
            from sidecar.llm.ollama_client import OllamaClient
            from sidecar.learn.reconcile.reconcilers import OllamaReconciler

            return OllamaReconciler(OllamaClient(self.settings.ollama_url), model=gate.get("model"),
                                    num_ctx=gate.get("num_ctx"))
        from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler

        return EmbeddedReconciler(embedder)

    def sources(self) -> list[Source]:
        """The configured transcript sources whose folders exist now."""
        return default_sources(home=Path.home(), env=os.environ, aider_projects=self._aider,
                               generic_dirs=self._generic, enabled=self._enabled)

    def start(self) -> None:
        self.worker.start()
        if self.watcher is not None:
            self.watcher.start()

    def status(self) -> dict[str, Any]:
        files = self.queue.files()
        judge = {"backend": self.backend, **self.pipeline.timings.summary()}
        model = getattr(self.judge, "model", None)
        if model:
            judge["model"] = model
        return {
            "watching": self.watcher is not None,
            "sources": [str(s.root) for s in (self.watcher.sources if self.watcher else [])],
            "watched_files": sum(1 for f in files if not f["deleted"]),
            "queue": self.queue.counts(),
            "judge": judge,
            "worker": {"processed": self.worker.processed, "failed": self.worker.failed,
                       "retried": self.worker.retried},
        }

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.worker.stop()
        self.queue.close()
        self.provenance.close()
