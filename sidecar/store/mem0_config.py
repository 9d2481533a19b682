"""Turn the ``[mem0]`` config table into the dict given to ``Memory.from_config``.

What the user wrote is passed through; we only fill in what is missing, so
mem0's own documentation stays true:

* ``vector_store``: Chroma on disk with an explicit ``path`` in our data dir
  (never mem0's ``/tmp/<provider>`` default);
* ``history_db_path``: mem0's SQLite history in our data dir;
* ``llm``: Ollama (constructing it makes no call, so no API key is ever needed);
* ``embedder``: absent (or ``provider = "embedded"``) means the embedded MiniLM;
  ``provider = "embedded"`` with ``config.model = "multilingual-e5"`` the embedded
  multilingual-e5-small (the ``multilingual`` extra).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sidecar.config.settings import ConfigError, Settings
from sidecar.store import e5_embedder, embedder

COLLECTION = "memories"
DEFAULT_LLM_MODEL = "qwen2.5:1.5b"
# Dimensions of common Ollama embedding models, used when the config omits embedding_dims.
KNOWN_DIMS = {"nomic-embed-text": 768, "mxbai-embed-large": 1024, "all-minilm": 384,
              "snowflake-arctic-embed": 1024, "bge-m3": 1024}
# config.model of the embedded provider -> (the name the store's card records, dimensions)
EMBEDDED_MODELS = {embedder.MODEL_KEY: (embedder.MODEL_NAME, embedder.DIMS),
                   e5_embedder.MODEL_KEY: (e5_embedder.MODEL_NAME, e5_embedder.DIMS)}


@dataclass(frozen=True)
class EmbedderChoice:
    """Which embedder the store uses and the size of its vectors."""

    embedded: bool
    name: str
    dims: int


def config_lines(name: str) -> str:
    """How the config names the embedded model recorded as ``name`` ("" for other embedders)."""
    for key, (model_name, _) in EMBEDDED_MODELS.items():
        if model_name == name:
            return f'[mem0.embedder] provider = "embedded", config = {{ model = "{key}" }}'
    return ""


def build_mem0_config(settings: Settings) -> tuple[dict[str, Any], EmbedderChoice]:
    """Return (mem0 config dict, embedder choice); raise :class:`ConfigError`."""
    config = copy.deepcopy(dict(settings.mem0))
    store_dir = settings.store_dir

    vector_store = config.setdefault("vector_store", {"provider": "chroma", "config": {}})
    if not isinstance(vector_store, dict):
        raise ConfigError("[mem0.vector_store] must be a table")
    vector_store.setdefault("provider", "chroma")
    vs_config = vector_store.setdefault("config", {})
    if vector_store["provider"] == "chroma":
        vs_config.setdefault("path", str(store_dir / "chroma"))
    vs_config.setdefault("collection_name", COLLECTION)

    config.setdefault("history_db_path", str(store_dir / "history.db"))

    llm = config.setdefault("llm", {"provider": "ollama", "config": {}})
    if llm.get("provider", "ollama") == "ollama":
        llm.setdefault("provider", "ollama")
        llm_config = llm.setdefault("config", {})
        llm_config.setdefault("model", DEFAULT_LLM_MODEL)
        llm_config.setdefault("ollama_base_url", settings.ollama_url)

    table = config.get("embedder")
    if table is None or table.get("provider") == "embedded":
        model = (table or {}).get("config", {}).get("model", embedder.MODEL_KEY)
        if model not in EMBEDDED_MODELS:
            raise ConfigError(f"[mem0.embedder] config.model must be one of {', '.join(EMBEDDED_MODELS)} "
                              f"(got {model!r})")
        config.pop("embedder", None)
        return config, EmbedderChoice(True, *EMBEDDED_MODELS[model])
    provider = table.get("provider")
    emb_config = table.setdefault("config", {})
    model = str(emb_config.get("model") or "")
    if provider == "ollama":
        model = model or "nomic-embed-text"
        emb_config.setdefault("model", model)
        emb_config.setdefault("ollama_base_url", settings.ollama_url)
    dims = emb_config.get("embedding_dims") or KNOWN_DIMS.get(model.split(":")[0])
    if not isinstance(dims, int):
        raise ConfigError(
            f"[mem0.embedder] {provider}/{model}: set config.embedding_dims (the vector size) explicitly"
        )
    emb_config["embedding_dims"] = dims
    return config, EmbedderChoice(False, f"{provider}/{model}", dims)
