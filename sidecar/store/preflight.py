"""Checks made before mem0 is built: a configured Ollama embedder must be reachable and pulled.

Without them mem0 would try to pull the model at start, or fail on the first add.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from sidecar.store.errors import StoreError


class OllamaUnreachable(StoreError):
    """The configured Ollama embedder does not answer (it may come up later: worth a retry)."""


class EmbedderModelMissing(StoreError):
    """The configured Ollama embedding model is not pulled (a person must pull it)."""


def check_embedder(config: Mapping[str, Any]) -> None:
    """Raise :class:`StoreError` when the mem0 config names an Ollama embedder that cannot serve."""
    embedder = config.get("embedder") or {}
    if embedder.get("provider") == "ollama":
        require_ollama_model(embedder["config"]["ollama_base_url"], embedder["config"]["model"])


def require_ollama_model(url: str, model: str) -> None:
    """Fail clearly instead of letting mem0 pull a model at start."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/tags", timeout=3) as response:
            tags = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OllamaUnreachable(f"Ollama is configured as the embedder but not reachable at {url} ({exc}); "
                         "start it (ollama serve) or remove [mem0.embedder] to use the embedded model") from None
    names = {m.get("name", "") for m in tags.get("models", [])} | {m.get("model", "") for m in tags.get("models", [])}
    if model not in names and f"{model}:latest" not in names:
        raise EmbedderModelMissing(f"the Ollama embedding model {model!r} is not pulled; run: ollama pull {model}")
