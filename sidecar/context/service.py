"""The context service: the MemoryManager hub, the MEMORY.md sync service and the session store.

Built once by the composition root with its dependencies passed in: the store,
the typed ``[context]`` config, the write gate's hand-off for session turns and
the gate's sentence scorer (for the extractive summariser). It registers no ops:
:mod:`sidecar.ops.registry` does.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sidecar.config.settings import Settings
from sidecar.context.hub import GateQueue, MemoryManager
from sidecar.context.md_sync import MemoryMdService
from sidecar.context.sessions import SessionManager
from sidecar.context.summarize import ExtractiveSummariser, OllamaSummariser, Summariser
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.context")

_SUMMARY_SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}

SentenceScore = Callable[[str], float]


class SentenceScorer:
    """How memorable a sentence is, for the extractive summariser; built on first use.

    Uses the write gate's judge when it scores sentences (``gate_score``), else an
    :class:`EmbeddedJudge` of its own on the store's embedder (training it costs a
    second or two, hence the laziness). Without an embedded embedder every
    sentence scores the same, so the summary keeps the newest.
    """

    def __init__(self, store: MemoryStore, settings: Settings, gate_score: SentenceScore | None = None) -> None:
        self._store = store
        self._settings = settings
        self._gate_score = gate_score
        self._score: Callable[[str], float] | None = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> float:
        if self._score is None:
            with self._lock:
                if self._score is None:
                    self._score = self._build()
        return self._score(text)

    def _build(self) -> Callable[[str], float]:
        if self._gate_score is not None:
            return self._gate_score
        if self._store.embedder is None:
            log.warning("no embedded embedder: the extractive summariser keeps the newest sentences")
            return lambda text: 0.5
        from sidecar.learn.judge.embedded_judge import EmbeddedJudge

        cache = self._settings.paths.data_dir / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        return EmbeddedJudge(self._store.embedder, cache_dir=cache).score_sentence


def ollama_chat(settings: Settings) -> Callable[[list[dict[str, str]]], str]:
    """A ``chat(messages) -> text`` callable over the local Ollama (non-streaming, explicit num_ctx)."""
    from sidecar.llm.ollama_client import OllamaClient, fit_num_ctx

    client = OllamaClient(settings.ollama_url)
    model = settings.context.summariser_model or settings.gate.model or client.auto_model()
    configured = settings.context.num_ctx

    def chat(messages: list[dict[str, str]]) -> str:
        chars = sum(len(m["content"]) for m in messages)
        reply = client.chat(model, messages, schema=_SUMMARY_SCHEMA, num_ctx=fit_num_ctx(chars, configured))
        return str(json.loads(reply.content).get("summary", ""))

    return chat


def build_summariser(settings: Settings, store: MemoryStore, gate_score: SentenceScore | None) -> Summariser:
    """The configured summariser."""
    if settings.context.summariser == "ollama":
        return OllamaSummariser(ollama_chat(settings))
    return ExtractiveSummariser(SentenceScorer(store, settings, gate_score))


class ContextService:
    """The hub behind ``context`` and ``session.*``; runs the MEMORY.md sync thread."""

    def __init__(self, *, settings: Settings, store: MemoryStore, gate: GateQueue | None,
                 gate_score: SentenceScore | None = None) -> None:
        config = settings.context
        self.summariser_name = config.summariser
        self.md = MemoryMdService(store, settings)
        sessions = SessionManager(settings.paths.data_dir / "sessions",
                                  build_summariser(settings, store, gate_score), max_history=config.max_history,
                                  legacy_owner=settings.user_id)

        def search(user_id: str, query: str, k: int) -> Sequence[Mapping[str, Any]]:
            return store.search(query, filters={"user_id": user_id}, top_k=k).get("results", [])

        self.hub = MemoryManager(
            md=self.md, sessions=sessions, search=search, gate=gate,
            threshold=config.threshold_tokens, top_k=config.top_k,
            longterm_disabled=config.simulate_longterm_failure,
        )

    def start(self) -> None:
        self.md.start()

    def status(self) -> dict[str, Any]:
        return {**self.hub.status(), "summariser": self.summariser_name, "memory_md": self.md.status()}

    def close(self) -> None:
        self.md.close()
