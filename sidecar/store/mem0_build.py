"""Building mem0's ``Memory``: part of the mem0 adapter (:mod:`sidecar.store.mem0_adapter`).

mem0 is built from our config with the embedded model plugged in as its embedder (the
route every mem0 code path embeds through), kept off spaCy's network download, and its
own update-memory prompt is lent to the Ollama reconciler. mem0 is imported lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.config.settings import ConfigError
from sidecar.store.embedder import StoreEmbedder
from sidecar.store.errors import StoreError

# A placeholder mem0 builds without network or key; the embedded model replaces it.
_PLACEHOLDER_EMBEDDER = {"provider": "lmstudio", "config": {"lmstudio_base_url": "http://127.0.0.1:9/v1"}}


def _keep_mem0_off_spacy() -> None:
    """mem0 lemmatises and extracts entities with spaCy's ``en_core_web_sm`` whenever spaCy is
    importable, and downloads that model from the network when it is missing under that name.
    Our own spaCy model (the fact rewriter's) is installed under another name, so mem0 would try
    a download on every add: mark its loader failed, which is the path it takes without spaCy
    (plain text for its BM25 field, no entities; our hybrid search has its own keyword index)."""
    from mem0.utils import spacy_models

    spacy_models._load_failed_full = True
    spacy_models._load_failed_lemma = True


def build_memory(config: Mapping[str, Any], embedder: StoreEmbedder | None) -> Any:
    """mem0's ``Memory`` for ``config`` (our embedded model plugged in when ``embedder`` is given).

    ``config`` is the dict :func:`sidecar.store.mem0_config.build_mem0_config` makes;
    raise :class:`ConfigError` when mem0 rejects it.
    """
    from mem0 import Memory

    _keep_mem0_off_spacy()
    config = dict(config)
    if embedder is not None:
        placeholder = _PLACEHOLDER_EMBEDDER["config"]
        config["embedder"] = {"provider": _PLACEHOLDER_EMBEDDER["provider"],
                              "config": {**placeholder, "embedding_dims": embedder.dims}}
    try:
        memory = Memory.from_config(config)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"mem0 rejected the [mem0] config: {' '.join(str(exc).split())}") from exc
    except Exception as exc:  # a file of the store: corrupt, unreadable, not what it should be
        raise StoreError(f"mem0 could not open the store: {' '.join(str(exc).split())}") from exc
    if embedder is not None:
        if not hasattr(memory, "embedding_model"):
            raise StoreError("this mem0 version has no Memory.embedding_model; pin mem0ai==2.2.1")
        memory.embedding_model = _embedding_model(embedder)
    return memory


def _embedding_model(embedder: StoreEmbedder) -> Any:
    from mem0.embeddings.base import EmbeddingBase

    class EmbeddedModel(EmbeddingBase):
        """mem0's embedder interface over the embedded model (MiniLM or multilingual e5)."""

        def embed(self, text: str, memory_action: str | None = None) -> list[float]:
            # mem0 says "search" for queries; stored texts ("add", "update") are passages (e5 tells them apart)
            return embedder.query_one(text) if memory_action == "search" else embedder.embed_one(text)

        def embed_batch(self, texts: list[str], memory_action: str = "add") -> list[list[float]]:
            vectors = embedder.embed_queries(list(texts)) if memory_action == "search" else embedder.embed(list(texts))
            return [vector.tolist() for vector in vectors]

    model = EmbeddedModel()
    model.config.embedding_dims = embedder.dims
    return model


def update_memory_prompt(old_memory: list[dict[str, str]], facts: list[str]) -> str:
    """mem0's own update-memory prompt for new ``facts`` against ``old_memory`` ([{id, text}])."""
    from mem0.configs.prompts import get_update_memory_messages

    return get_update_memory_messages(old_memory, facts)
