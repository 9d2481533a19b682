"""The [mem0] table's shape is checked at load; its provider lists are mem0's own (pinned here)."""

from __future__ import annotations

import pytest

from sidecar.config.mem0_table import EMBEDDERS, LLMS, VECTOR_STORES
from sidecar.config.settings import ConfigError, parse_config


def test_provider_lists_match_the_installed_mem0() -> None:
    import inspect

    from mem0.embeddings.configs import EmbedderConfig
    from mem0.llms.configs import LlmConfig
    from mem0.vector_stores.configs import VectorStoreConfig

    assert set(VECTOR_STORES) == set(VectorStoreConfig._provider_configs.default)
    for name, config in (("llm", LlmConfig), ("embedder", EmbedderConfig)):
        source = inspect.getsource(config.validate_config)
        quoted = {part.split('"')[1] for part in source.split("\n") if part.strip().startswith('"')}
        assert quoted == set(LLMS if name == "llm" else EMBEDDERS), name


def test_the_table_is_passed_to_mem0_as_written() -> None:
    raw = {"vector_store": {"provider": "chroma", "config": {"collection_name": "x"}},
           "embedder": {"provider": "ollama", "config": {"model": "nomic-embed-text"}},
           "history_db_path": "/tmp/h.db"}
    assert parse_config({"mem0": raw}).mem0.model_dump(exclude_unset=True) == raw


@pytest.mark.parametrize("table, named", [
    ({"embedder": {"config": {}}}, "mem0.embedder.provider: Field required"),
    ({"embedder": {"provider": "ollama", "model": "x"}}, "mem0.embedder.model: unknown key"),
    ({"history_db_path": ""}, "mem0.history_db_path"),
    ({"llm": {"provider": "openai", "config": "gpt"}}, "mem0.llm.config: must be a table"),
])
def test_shape_mistakes_are_named(table: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_config({"mem0": table})
