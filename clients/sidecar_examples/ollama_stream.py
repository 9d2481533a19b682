"""Just enough of Ollama's REST API for the examples: list pulled models, pick one, stream a chat.

Standard library only (urllib), so the examples run on the light install.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from sidecar_shared.ollama_models import pulled_as

DEFAULT_URL = "http://127.0.0.1:11434"
GB = 1 << 30
# (minimum free RAM, model): the largest that fits comes first, smaller ones are the fallbacks
MODELS_BY_FREE_RAM = [(6 * GB, "qwen3:4b"), (3 * GB, "qwen2.5:1.5b"), (0, "llama3.2:1b")]


class OllamaUnavailable(RuntimeError):
    """Ollama is not running, or answers with an error."""


def base_url(explicit: str | None = None) -> str:
    """``explicit``, else ``$OLLAMA_HOST`` (with or without scheme), else the local default."""
    url = explicit or os.environ.get("OLLAMA_HOST") or DEFAULT_URL
    return (url if "://" in url else f"http://{url}").rstrip("/")


def free_ram_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (None where there is none)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def pulled_models(url: str, timeout: float = 2.0) -> list[str]:
    """Names of the models Ollama has pulled (GET /api/tags)."""
    try:
        with urllib.request.urlopen(f"{url}/api/tags", timeout=timeout) as response:
            data = json.load(response)
    except (OSError, ValueError) as exc:
        raise OllamaUnavailable(f"Ollama is not answering at {url} ({exc})") from None
    return [str(m.get("name") or m.get("model")) for m in data.get("models", [])]


def candidate_models(free_bytes: int | None) -> list[str]:
    """Models to try, best first, for this much free RAM (unknown RAM: smallest only)."""
    if free_bytes is None:
        return [MODELS_BY_FREE_RAM[-1][1]]
    return [model for floor, model in MODELS_BY_FREE_RAM if free_bytes >= floor or floor == 0]


def _same_model(wanted: str, pulled: str) -> bool:
    if pulled_as(wanted, [pulled]) is not None:  # the name, :latest, or a -mem re-tag (sidecar_shared.ollama_models)
        return True
    return ":" not in wanted and pulled.startswith(f"{wanted}:")


def pick_model(pulled: list[str], free_bytes: int | None, preferred: str | None = None) -> str | None:
    """``preferred`` if pulled, else the first RAM-appropriate candidate that is pulled, else None."""
    wanted = [preferred] if preferred else candidate_models(free_bytes)
    for model in wanted:
        match = next((p for p in pulled if _same_model(model, p)), None)
        if match:
            return match
    return None


def stream_chat(url: str, model: str, messages: list[dict[str, str]], *, options: dict[str, Any] | None = None,
                timeout: float = 120.0) -> Iterator[str]:
    """Yield the reply's content pieces as Ollama streams them (POST /api/chat, NDJSON lines)."""
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": True}
    if options:
        body["options"] = options
    request = urllib.request.Request(f"{url}/api/chat", data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise OllamaUnavailable(f"Ollama refused the chat: HTTP {exc.code} {exc.read()[:200]!r}") from None
    except OSError as exc:
        raise OllamaUnavailable(f"Ollama is not answering at {url} ({exc})") from None
    with response:
        for line in response:
            if not line.strip():
                continue
            chunk = json.loads(line)
            if chunk.get("error"):
                raise OllamaUnavailable(f"Ollama: {chunk['error']}")
            piece = (chunk.get("message") or {}).get("content", "")
            if piece:
                yield piece
            if chunk.get("done"):
                return


def install_hint(model: str) -> str:
    """What to run when Ollama or the model is missing."""
    return ("Install Ollama (https://ollama.com/download, or: curl -fsSL https://ollama.com/install.sh | sh), "
            f"start it (ollama serve), then pull a model: ollama pull {model}")
