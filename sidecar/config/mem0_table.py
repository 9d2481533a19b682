"""The ``[mem0]`` table, checked at load like every other table.

It is mem0's own config dict, handed to ``Memory.from_config`` (see
:mod:`sidecar.store.mem0_config`), and mem0 ignores keys it does not know, so
a misspelt key would silently change nothing. Its shape is checked here:
the known keys only, each ``{provider, config}`` a table with a provider mem0
2.2.1 ships. What lies inside each ``config`` is the provider's business and is
checked by mem0 when the store opens (a mistake there is still one line, see
:mod:`sidecar.process.startup`).

No mem0 import here: ``memctl doctor`` runs these checks too, and clients never
load mem0. ``tests/config/test_mem0_table.py`` keeps the provider lists equal to
the installed mem0's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

VECTOR_STORES = (
    "qdrant", "chroma", "pgvector", "pinecone", "mongodb", "milvus", "baidu", "cassandra", "neptune",
    "upstash_vector", "azure_ai_search", "azure_mysql", "redis", "valkey", "databricks", "elasticsearch",
    "vertex_ai_vector_search", "opensearch", "supabase", "weaviate", "faiss", "langchain", "s3_vectors",
    "turbopuffer", "oracledb",
)
LLMS = (
    "openai", "ollama", "anthropic", "groq", "together", "aws_bedrock", "litellm", "azure_openai",
    "openai_structured", "azure_openai_structured", "gemini", "deepseek", "minimax", "xai", "sarvam",
    "lmstudio", "vllm", "langchain",
)
EMBEDDERS = (
    "openai", "ollama", "huggingface", "azure_openai", "gemini", "vertexai", "together", "lmstudio",
    "langchain", "aws_bedrock", "fastembed",
)
EMBEDDED = "embedded"  # ours: the bundled MiniLM (also what an absent [mem0.embedder] means)
# the embedded models (config.model of the embedded provider); see sidecar.store.mem0_config
EMBEDDED_MODELS = ("minilm", "multilingual-e5")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VectorStoreTable(_Table):
    """``[mem0.vector_store]``."""

    provider: Literal[VECTOR_STORES] = "chroma"  # type: ignore[valid-type]
    config: dict[str, Any] = Field(default_factory=dict)


class LlmTable(_Table):
    """``[mem0.llm]``: only ``add(infer=True)`` through mem0 itself would call it; constructing it calls nothing."""

    provider: Literal[LLMS] = "ollama"  # type: ignore[valid-type]
    config: dict[str, Any] = Field(default_factory=dict)


class EmbedderTable(_Table):
    """``[mem0.embedder]``: ``embedded`` (the default) or one of mem0's providers."""

    provider: Literal[(EMBEDDED, *EMBEDDERS)]  # type: ignore[valid-type]
    config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _embedded_model(self) -> EmbedderTable:
        """The embedded provider takes one key, ``model``: "minilm" (the default) or "multilingual-e5"."""
        if self.provider == EMBEDDED:
            unknown = sorted(set(self.config) - {"model"})
            if unknown:
                raise ValueError(f"config.{unknown[0]}: unknown key of the embedded embedder (it takes only model)")
            if self.config.get("model", EMBEDDED_MODELS[0]) not in EMBEDDED_MODELS:
                raise ValueError(f"config.model must be one of {', '.join(map(repr, EMBEDDED_MODELS))} "
                                 f"(got {self.config['model']!r})")
        return self


class RerankerTable(_Table):
    """``[mem0.reranker]``."""

    provider: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)


class Mem0Table(_Table):
    """``[mem0]``: the keys of mem0's ``MemoryConfig``."""

    vector_store: VectorStoreTable | None = None
    llm: LlmTable | None = None
    embedder: EmbedderTable | None = None
    reranker: RerankerTable | None = None
    history_db_path: str | None = Field(None, min_length=1)
    version: str | None = Field(None, min_length=1)
    custom_instructions: str | None = None
