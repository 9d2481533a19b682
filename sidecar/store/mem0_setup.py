"""Plugging our pieces into mem0: the embedded embedder, and a pre-flight check of Ollama.

The adapter is set as ``Memory.embedding_model`` after construction, the attribute
every mem0 code path embeds through (pinned by ``tests/store/test_memory_store.py``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from sidecar.store.embedder import MiniLMEmbedder


class StoreError(RuntimeError):
    """mem0 or the vector store failed."""


def mem0_embedding_adapter(embedder: MiniLMEmbedder) -> Any:
    from mem0.embeddings.base import EmbeddingBase

    class EmbeddedMiniLM(EmbeddingBase):
        """mem0 embedder interface over the embedded ONNX model."""

        def embed(self, text: str, memory_action: str | None = None) -> list[float]:
            return embedder.embed_one(text)

        def embed_batch(self, texts: list[str], memory_action: str = "add") -> list[list[float]]:
            return [vector.tolist() for vector in embedder.embed(list(texts))]

    adapter = EmbeddedMiniLM()
    adapter.config.embedding_dims = embedder.dims
    return adapter


def require_ollama_model(url: str, model: str) -> None:
    """Fail clearly instead of letting mem0 pull a model at start."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/tags", timeout=3) as response:
            tags = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise StoreError(f"Ollama is configured as the embedder but not reachable at {url} ({exc}); "
                         "start it (ollama serve) or remove [mem0.embedder] to use the embedded model") from None
    names = {m.get("name", "") for m in tags.get("models", [])} | {m.get("model", "") for m in tags.get("models", [])}
    if model not in names and f"{model}:latest" not in names:
        raise StoreError(f"the Ollama embedding model {model!r} is not pulled; run: ollama pull {model}")
