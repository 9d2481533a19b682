"""Fixtures shared by the write-gate tests."""

from __future__ import annotations

import pytest

from sidecar.store.embedder import MiniLMEmbedder


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """One embedded model for all gate tests (loading it is the slow part)."""
    return MiniLMEmbedder()
