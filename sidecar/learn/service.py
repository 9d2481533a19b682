"""The learning service: transcripts and conversations in, memories out, through the write gate.

Built once by the composition root from its typed config and the store. It owns
the job queue (``<data_dir>/ingest/queue.db``), the provenance table
(``<data_dir>/ingest/provenance.db``), the transcript watcher, the judge and
reconciler (embedded by default, Ollama when ``[gate] backend = "ollama"``), the
gate worker that drains the queue and the hand-off of session turns, and the
review inbox (``<data_dir>/ingest/review.db``) where facts of sources in
``review`` mode wait for the user. It registers no ops: :mod:`sidecar.ops.registry`
does, with this service as a dependency.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sidecar.config.sections import GateConfig, WatchConfig
from sidecar.learn.apply.conversation import LastTurns, learn_conversation
from sidecar.learn.apply.gate_worker import GateWorker
from sidecar.learn.apply.recurrence import RecurrenceLog
from sidecar.learn.apply.pipeline import GatePipeline
from sidecar.learn.apply.provenance import ProvenanceLog
from sidecar.learn.apply.session_turns import SessionGateHandoff
from sidecar.learn.judge.verdict import Judge
from sidecar.learn.queue.dead_letters import DeadLetters
from sidecar.learn.queue.file_users import FileUsers
from sidecar.learn.queue.job_queue import JobQueue
from sidecar.learn.reconcile.decision import Reconciler
from sidecar.learn.review.gate import ReviewGate
from sidecar.learn.review.inbox import ReviewInbox
from sidecar.learn.review.policy import GatePolicy
from sidecar.learn.review.resolve import Reviewer
from sidecar.learn.watch.scanner import FileScanner
from sidecar.learn.watch.sources import Source, default_sources
from sidecar.learn.watch.watcher import TranscriptWatcher
from sidecar.store.embedder import MiniLMEmbedder, StoreEmbedder
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.learn")


def build_judge(gate: GateConfig, embedder: StoreEmbedder | None, ollama_url: str,
                cache_dir: Path | None = None) -> Judge:
    """The configured judge: the embedded classifier (exemplar vectors cached in ``cache_dir``), or an Ollama model."""
    if gate.backend == "ollama":
        from sidecar.learn.judge.ollama_judge import OllamaJudge
        from sidecar.llm.ollama_client import OllamaClient

        client = OllamaClient(ollama_url)  # no model configured: the best pulled one (issue 15.5)
        return OllamaJudge(client, model=gate.model or client.auto_model(), num_ctx=gate.num_ctx)
    from sidecar.learn.judge.embedded_judge import EmbeddedJudge
    from sidecar.learn.judge.standalone import StandaloneRewriter

    # one rewriter (one spaCy pipeline, loaded on first use) for the daemon's one judge
    return EmbeddedJudge(embedder, rewriter=StandaloneRewriter(), cache_dir=cache_dir)


def build_reconciler(gate: GateConfig, embedder: StoreEmbedder | None, ollama_url: str) -> Reconciler:
    """The configured reconciler: embedded rules over cosine similarity, or an Ollama model."""
    if gate.reconciler_backend == "ollama":
        from sidecar.learn.reconcile.reconcilers import OllamaReconciler
        from sidecar.llm.ollama_client import OllamaClient

        client = OllamaClient(ollama_url)
        return OllamaReconciler(client, model=gate.model or client.auto_model(), num_ctx=gate.num_ctx)
    from sidecar.learn.reconcile.reconcilers import EmbeddedReconciler

    return EmbeddedReconciler(embedder)


class LearnService:
    """Transcript watcher + durable queue + asynchronous write gate + session-turn hand-off."""

    def __init__(self, *, store: MemoryStore, data_dir: Path, user_id: str, watch: WatchConfig,
                 gate: GateConfig, ollama_url: str, embedder_threads: int | None = None) -> None:
        self.store = store
        self.gate_config = gate
        folder = data_dir / "ingest"
        folder.mkdir(parents=True, exist_ok=True)
        self.queue = JobQueue(folder / "queue.db")
        self.dead_letters = DeadLetters(self.queue)
        self.provenance = ProvenanceLog(folder / "provenance.db")
        self.inbox = ReviewInbox(folder / "review.db")
        self.review = ReviewGate(GatePolicy(gate), self.inbox, store)
        self.reviewer = Reviewer(self.inbox, store, self.provenance)
        # The reconciler's thresholds and recurrence matching are MiniLM cosines (multilingual e5 puts
        # unrelated facts at 0.8-0.9), so they keep MiniLM whatever the store embeds with: its own
        # when the store uses another model. The judge's classifier is trained at start on the store's
        # model: the multilingual one keeps the non-English facts MiniLM misses (bench/multilingual.py).
        embedder = store.embedder if isinstance(store.embedder, MiniLMEmbedder) else None
        if embedder is None and (gate.backend != "ollama" or gate.reconciler_backend != "ollama"):
            embedder = MiniLMEmbedder(threads=embedder_threads)
        self.judge = build_judge(gate, store.embedder or embedder, ollama_url, cache_dir=data_dir / "cache")
        self.reconciler = build_reconciler(gate, embedder, ollama_url)
        self.recurrence = RecurrenceLog(folder / "recurrence.db", embedder.embed if embedder is not None else None)
        self.pipeline = GatePipeline(store, self.judge, self.reconciler, self.provenance,
                                     embedder=embedder,  # MiniLM cosine for neighbours, whatever the store embeds with
                                     review=self.review, recurrence=self.recurrence)
        self.file_users = FileUsers(folder / "file_users.db")
        self.worker = GateWorker(self.queue, self.pipeline, user_id,
                                 retry_base_s=gate.retry_base_s, retry_max_s=gate.retry_max_s,
                                 max_attempts=gate.max_attempts, user_of=self.file_users.user_for)
        self.session_turns = SessionGateHandoff(self.pipeline)
        self.last_turns = LastTurns()
        self.scanner = FileScanner(self.queue, on_queued=self.worker.wake)
        self._watch = watch
        self.watcher: TranscriptWatcher | None = None
        if watch.on:
            self.watcher = TranscriptWatcher(
                self.sources, self.scanner.scan,
                known_files=lambda: [(f["path"], f["agent"]) for f in self.queue.files() if not f["deleted"]],
                debounce_s=watch.debounce_ms / 1000.0,
                rescan_s=watch.rescan_seconds,
            )

    def sources(self) -> list[Source]:
        """The configured transcript sources whose folders exist now."""
        return default_sources(home=Path.home(), env=os.environ, aider_projects=list(self._watch.aider_projects),
                               generic_dirs=list(self._watch.generic_dirs), enabled=dict(self._watch.enabled))

    def learn_messages(self, messages: str | list[dict[str, str]], *, scope: dict[str, str],
                       metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        """``add(infer=True)``: judge, reconcile and apply each message now (see :mod:`.apply.conversation`)."""
        return learn_conversation(self.pipeline, messages, scope=scope, metadata=metadata, last_turns=self.last_turns)

    def enrich_history(self, memory_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """mem0's history rows of ``memory_id`` with the write gate's provenance beside each."""
        return self.provenance.enrich_history(memory_id, entries)

    @property
    def sentence_score(self) -> Callable[[str], float] | None:
        """The judge's memorability score of one sentence, when the judge has one (the summariser uses it)."""
        score = getattr(self.judge, "score_sentence", None)
        return score if callable(score) else None

    def start(self) -> None:
        self.worker.start()
        self.session_turns.start()
        if self.watcher is not None:
            self.watcher.start()

    def status(self) -> dict[str, Any]:
        files = self.queue.files()
        judge = {"backend": self.gate_config.backend, **self.pipeline.timings.summary()}
        model = getattr(self.judge, "model", None)
        if model:
            judge["model"] = model
        return {
            "watching": self.watcher is not None,
            "sources": [str(s.root) for s in (self.watcher.sources if self.watcher else [])],
            "watched_files": sum(1 for f in files if not f["deleted"]),
            "queue": self.queue.counts(),
            # jobs the gate gave up on (memctl queue list | retry | drop), and a damaged queue.db set aside
            "dead_letter": {"count": self.dead_letters.count(), "max_attempts": self.gate_config.max_attempts,
                            "recovered_from": self.queue.recovered_from},
            "judge": judge,
            "worker": {"processed": self.worker.processed, "failed": self.worker.failed,
                       "retried": self.worker.retried, "dead_lettered": self.worker.dead_lettered,
                       "skipped": self.worker.skipped},
            "session_turns": self.session_turns.status(),
            "refused": self.pipeline.guard.status(),  # instruction-like text the gate would not learn
            "review": self.review.status(),
        }

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.session_turns.close()
        self.worker.stop()
        self.queue.close()
        self.provenance.close()
        self.inbox.close()
        self.recurrence.close()
