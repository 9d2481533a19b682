"""Choosing the store backend by [mem0.vector_store] provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.config.settings import ConfigError, load_settings
from sidecar.store.backend import EmbeddedBackend, open_backend
from sidecar.testing.daemons import write_config


def test_no_vector_store_table_means_the_embedded_backend(isolated_home: Path):
    backend = open_backend(load_settings())
    assert isinstance(backend, EmbeddedBackend) and backend.shared is False
    assert backend.mem0_config["vector_store"]["config"]["path"].endswith("chroma")


def test_a_vector_store_without_a_backend_is_refused_with_the_supported_list(isolated_home: Path):
    write_config(isolated_home, '[mem0.vector_store]\nprovider = "qdrant"\nconfig = { path = "/tmp/q" }\n')
    with pytest.raises(ConfigError, match="'qdrant' is not supported.*chroma, pgvector"):
        open_backend(load_settings())


def test_an_unreachable_postgres_is_one_clear_error_without_the_password(isolated_home: Path, tmp_path: Path):
    from sidecar.store.errors import StoreUnavailable

    write_config(isolated_home, '[mem0.vector_store]\nprovider = "pgvector"\n'
                                f'config = {{ connection_string = "postgresql://sam:hunter2@/m?host={tmp_path}" }}\n')
    with pytest.raises(StoreUnavailable, match="cannot be reached") as failed:
        open_backend(load_settings())
    assert "hunter2" not in str(failed.value)
