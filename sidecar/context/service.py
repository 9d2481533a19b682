"""The ``context`` component: the MemoryManager hub, the MEMORY.md sync
service and the session store, wired into the daemon.

Config (``[context]``, all optional): ``memory_md``, ``project_dirs``,
``threshold_tokens`` (2000), ``top_k`` (8), ``max_history`` (20),
``summariser`` ("extractive" | "ollama"), ``summariser_model``, ``num_ctx``,
``md_debounce_s`` (0.5) and ``simulate_longterm_failure`` (a drill switch:
the hub treats the long-term store as dead, to check that contexts degrade).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sidecar.config.settings import ConfigError, Settings
from sidecar.learn.queue.session_turns import SessionGateHandoff
from sidecar.context.hub import GateQueue, MemoryManager
from sidecar.context.longterm import DEFAULT_TOP_K, MEMORY_TOKEN_THRESHOLD
from sidecar.context.md_sync import MemoryMdService
from sidecar.ops.context_ops import register_context_ops
from sidecar.context.sessions import MAX_HISTORY, SessionManager
from sidecar.context.summarize import ExtractiveSummariser, OllamaSummariser, Summariser
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.context")

_SUMMARY_SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}


def _setting_int(context: Mapping[str, Any], key: str, default: int, low: int) -> int:
    value = context.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"context.{key} must be an integer >= {low}, got {value!r}")
    return value


class SentenceScorer:
    """The write gate's sentence scorer, built on first use (training it costs a second or two).

    Uses the ingest component's judge when it has one, else its own
    :class:`EmbeddedJudge` on the store's embedder. Without an embedded
    embedder every sentence scores the same, so the summary keeps the newest.
    """

    def __init__(self, store: MemoryStore, settings: Settings, ingest: Any = None) -> None:
        self._store = store
        self._settings = settings
        self._ingest = ingest
        self._score: Callable[[str], float] | None = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> float:
        if self._score is None:
            with self._lock:
                if self._score is None:
                    self._score = self._build()
        return self._score(text)

    def _build(self) -> Callable[[str], float]:
        judge = getattr(self._ingest, "judge", None)
        if callable(getattr(judge, "score_sentence", None)):
            return judge.score_sentence
        if self._store.embedder is None:
            log.warning("no embedded embedder: the extractive summariser keeps the newest sentences")
            return lambda text: 0.5
        from sidecar.learn.judge.embedded_judge import EmbeddedJudge

        cache = self._settings.paths.data_dir / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        return EmbeddedJudge(self._store.embedder, cache_dir=cache).score_sentence


def ollama_chat(settings: Settings) -> Callable[[list[dict[str, str]]], str]:
    """A ``chat(messages) -> text`` callable over the local Ollama (non-streaming, explicit num_ctx)."""
    from sidecar.llm.ollama_client import OllamaClient, choose_model, fit_num_ctx

    client = OllamaClient(settings.ollama_url)
    model = str(settings.context.get("summariser_model") or choose_model(settings.gate.get("model")))
    configured = settings.context.get("num_ctx")

    def chat(messages: list[dict[str, str]]) -> str:
        chars = sum(len(m["content"]) for m in messages)
        reply = client.chat(model, messages, schema=_SUMMARY_SCHEMA, num_ctx=fit_num_ctx(chars, configured))
        return str(json.loads(reply.content).get("summary", ""))

    return chat


def build_summariser(settings: Settings, store: MemoryStore, ingest: Any) -> tuple[Summariser, str]:
    """The configured summariser and its name."""
    choice = str(settings.context.get("summariser", "extractive"))
    if choice == "ollama":
        return OllamaSummariser(ollama_chat(settings)), "ollama"
    if choice != "extractive":
        raise ConfigError(f"context.summariser must be 'extractive' or 'ollama', got {choice!r}")
    return ExtractiveSummariser(SentenceScorer(store, settings, ingest)), "extractive"


def gate_queue(ingest: Any) -> GateQueue | None:
    """The ingest component's durable hand-off if it has one, else a background
    hand-off to its gate pipeline, else None (no gate in this daemon)."""
    if ingest is None:
        return None
    enqueue = getattr(ingest, "enqueue_messages", None)
    if callable(enqueue):
        return enqueue
    pipeline = getattr(ingest, "pipeline", None)
    if pipeline is None or not callable(getattr(pipeline, "learn", None)):
        log.warning("the ingest component offers no gate hand-off; session messages are not judged")
        return None
    return SessionGateHandoff(pipeline)


class ContextComponent:
    """Registers ``context`` and ``session.*``; runs the MEMORY.md sync thread."""

    name = "context"

    def __init__(self, app: Any) -> None:
        settings: Settings = app.settings
        store: MemoryStore = app.store
        ctx = settings.context
        ingest = app.component("ingest") if app.has_component("ingest") else None
        summariser, self.summariser_name = build_summariser(settings, store, ingest)
        self.md = MemoryMdService(store, settings)
        sessions = SessionManager(settings.paths.data_dir / "sessions", summariser,
                                  max_history=_setting_int(ctx, "max_history", MAX_HISTORY, 2))

        def search(user_id: str, query: str, k: int) -> Sequence[Mapping[str, Any]]:
            return store.search(query, filters={"user_id": user_id}, top_k=k).get("results", [])

        self.gate = gate_queue(ingest)
        self.hub = MemoryManager(
            md=self.md, sessions=sessions, search=search, gate=self.gate,
            threshold=_setting_int(ctx, "threshold_tokens", MEMORY_TOKEN_THRESHOLD, 1),
            top_k=_setting_int(ctx, "top_k", DEFAULT_TOP_K, 1),
            longterm_disabled=bool(ctx.get("simulate_longterm_failure", False)),
        )
        register_context_ops(app.ops, self.hub, settings.user_id)

    def start(self) -> None:
        self.md.start()
        if isinstance(self.gate, SessionGateHandoff):
            self.gate.start()

    def status(self) -> dict[str, Any]:
        data = {**self.hub.status(), "summariser": self.summariser_name, "memory_md": self.md.status()}
        if isinstance(self.gate, SessionGateHandoff):
            data["session_gate"] = self.gate.status()
        return data

    def close(self) -> None:
        if isinstance(self.gate, SessionGateHandoff):
            self.gate.close()
        self.md.close()
