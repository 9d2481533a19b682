"""The gate's view of a local Ollama, on top of the ``ollama`` package.

One chat call shape (non-streaming, JSON-schema constrained, thinking off, an
explicit temperature and ``num_ctx``, and a ``num_predict`` cap so a rambling
model stops after a bounded reply) and a once-per-model "is it pulled?" check
against ``/api/tags``. Connection failures, timeouts and odd replies become
:class:`JudgeUnavailable` so callers can back off and retry (a reply without
content is :class:`JudgeReplyInvalid`, which counts toward a job's dead letter);
a model that is not pulled is a configuration error and says which ``ollama pull``
fixes it. Model choice (the best pulled model that fits the free RAM; an explicit one as given)
and context sizing live here too.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sidecar.learn.judge.verdict import JudgeReplyInvalid, JudgeUnavailable
from sidecar_shared.ollama_models import AUTO_MODELS, best_pulled, by_free_ram

if TYPE_CHECKING:
    import ollama

_T = TypeVar("_T")

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
DEFAULT_NUM_CTX = 4096
DEFAULT_TEMPERATURE = 0.1
OUTPUT_TOKEN_BUDGET = 512  # the most tokens a reply may have (num_predict): a verdict or a decision needs ~150
GIB = 1024**3
# (minimum free RAM, model): the larger model only when it fits with room to spare (sidecar_shared.ollama_models)
MODEL_BY_FREE_RAM: tuple[tuple[int, str], ...] = tuple((floor, name) for name, floor in AUTO_MODELS)


class OllamaModelMissing(RuntimeError):
    """The configured model is not pulled into the local Ollama."""

    def __init__(self, model: str, available: list[str]) -> None:
        self.model = model
        self.command = f"ollama pull {model}"
        have = ", ".join(available) if available else "none"
        super().__init__(f"Ollama model {model!r} is not pulled; run: {self.command} (pulled: {have})")


@dataclass(frozen=True)
class ChatReply:
    """The assistant message of a chat call, with timing."""

    content: str
    latency_s: float
    model: str
    eval_count: int | None = None


def mem_available_bytes() -> int | None:
    """Free memory usable without swapping: MemAvailable on Linux, vm_stat on macOS."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(["vm_stat"], capture_output=True, text=True, timeout=2).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        page = int(re.search(r"page size of (\d+)", out).group(1)) if "page size of" in out else 4096
        pages = sum(
            int(m.group(1)) for m in re.finditer(r"Pages (?:free|inactive|speculative):\s+(\d+)", out)
        )
        return pages * page
    return None


def choose_model(configured: str | None = None, free_bytes: int | None = None,
                 pulled: list[str] | None = None) -> str:
    """The configured model (always honoured); else, given the ``pulled`` names, the best of them in
    the order qwen3:4b → qwen2.5:1.5b → llama3.2:1b (``-mem`` re-tags count) that fits the free RAM;
    else (nothing known to be pulled) the largest of the three that fits, the one to pull."""
    if configured:
        return configured
    free = mem_available_bytes() if free_bytes is None else free_bytes
    if pulled is not None:
        found = best_pulled(pulled, free)
        if found is not None:
            return found
    return by_free_ram(free)


def fit_num_ctx(prompt_chars: int, configured: int | None = None, output_tokens: int = OUTPUT_TOKEN_BUDGET) -> int:
    """Context size: the configured value, else 4096 grown in 1024 steps to fit prompt + output."""
    if configured:
        return configured
    # about 3 characters per token for mixed prose and JSON: errs on the large side
    needed = prompt_chars // 3 + output_tokens
    size = DEFAULT_NUM_CTX
    while size < needed:
        size += 1024
    return size


class OllamaClient:
    """Blocking calls to one Ollama server; keeps the last ``history`` chat latencies.

    ``base_url`` defaults to ``$OLLAMA_HOST``, then the local default port, and
    may leave out the scheme or port as ``OLLAMA_HOST`` may; ``timeout_s``
    bounds every request.
    """

    def __init__(self, base_url: str | None = None, timeout_s: float = 60.0, history: int = 256) -> None:
        # Imported here: ollama brings httpx and pydantic, which a daemon without an Ollama backend never needs.
        import ollama

        self.base_url = base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_BASE_URL
        self.timeout_s = timeout_s
        self.latencies: deque[float] = deque(maxlen=history)
        self._checked_models: set[str] = set()
        self._automatic: dict[str, str] = {}  # a model this client chose itself -> the pulled one it uses now
        self._api: ollama.Client = ollama.Client(host=self.base_url, timeout=timeout_s)

    def auto_model(self) -> str:
        """The model to use when none is configured: the best pulled one (:func:`choose_model`).

        If the server cannot be asked now, the RAM choice; a chat with a model chosen here
        that turns out not to be pulled is served by the best pulled model instead.
        """
        try:
            model = choose_model(pulled=self.pulled_models())
        except JudgeUnavailable:
            model = choose_model()
        self._automatic.setdefault(model, model)
        return model

    def _serving(self, model: str) -> str:
        """The pulled model that serves ``model``: itself, or for a model chosen here, the best pulled now."""
        if model not in self._automatic:
            self.ensure_model(model)
            return model
        current = self._automatic[model]
        try:
            self.ensure_model(current)
            return current
        except OllamaModelMissing:
            pulled = self.pulled_models()
            found = best_pulled(pulled, mem_available_bytes())
            if found is None:
                raise OllamaModelMissing(current, pulled) from None
            self._automatic[model] = found
            return found

    def pulled_models(self) -> list[str]:
        """Names of the models the server has locally."""
        listing = self._call("/api/tags", None, self._api.list)
        return [m.model for m in listing.models if m.model]

    def ensure_model(self, model: str) -> None:
        """Raise :class:`OllamaModelMissing` unless ``model`` is pulled (checked once per client)."""
        if model in self._checked_models:
            return
        pulled = self.pulled_models()
        wanted = model if ":" in model else f"{model}:latest"
        if model not in pulled and wanted not in pulled:
            raise OllamaModelMissing(model, pulled)
        self._checked_models.add(model)

    def chat(
        self,
        model: str,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any],
        num_ctx: int | None = None,
        temperature: float = DEFAULT_TEMPERATURE,
        num_predict: int = OUTPUT_TOKEN_BUDGET,
    ) -> ChatReply:
        """One non-streaming chat call whose reply is constrained to ``schema`` and at most ``num_predict`` tokens."""
        model = self._serving(model)
        prompt_chars = sum(len(m["content"]) for m in messages) + len(json.dumps(schema))
        options = {"temperature": temperature, "num_ctx": fit_num_ctx(prompt_chars, num_ctx, num_predict),
                   "num_predict": num_predict}
        started = time.perf_counter()
        reply = self._call("/api/chat", model, lambda: self._api.chat(
            model, messages, stream=False, think=False, format=schema, options=options))
        latency = time.perf_counter() - started
        self.latencies.append(latency)
        content = reply.message.content
        if not isinstance(content, str):
            raise JudgeReplyInvalid("Ollama reply has no message content")
        return ChatReply(content, latency, model, reply.eval_count)

    def _call(self, path: str, model: str | None, call: Callable[[], _T]) -> _T:
        """Run one ``ollama`` call, mapping its failures onto this module's exceptions."""
        import httpx
        import ollama

        try:
            return call()
        except ollama.ResponseError as exc:
            detail = str(exc.error)[:200]
            if exc.status_code == 404 and model and "not found" in detail:
                raise OllamaModelMissing(model, []) from exc
            raise JudgeUnavailable(f"Ollama {path} returned HTTP {exc.status_code}: {detail}") from exc
        except (httpx.RequestError, OSError) as exc:  # refused (ConnectionError), reset, timed out
            raise JudgeUnavailable(f"Ollama at {self.base_url} unreachable: {exc}") from exc
        except (ValueError, TypeError) as exc:  # a body that is not JSON, or not shaped like Ollama's
            raise JudgeUnavailable(f"Ollama {path} sent an unexpected reply: {exc}") from exc
