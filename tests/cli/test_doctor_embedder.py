"""memctl doctor names the configured embedded model as the daemon records it, without importing it."""

from __future__ import annotations

from sidecar.store import e5_embedder, embedder
from sidecar_cli.doctor_local import E5_MODEL_NAME, EMBEDDED_MODEL_NAME, configured_embedder


def test_the_multilingual_model_is_named_as_the_store_card_names_it():
    e5 = {"mem0": {"embedder": {"provider": "embedded", "config": {"model": "multilingual-e5"}}}}
    assert configured_embedder(e5) == (e5_embedder.MODEL_NAME, 384)
    assert configured_embedder({"mem0": {"embedder": {"provider": "embedded"}}}) == (embedder.MODEL_NAME, 384)
    assert configured_embedder({}) == (embedder.MODEL_NAME, 384)
    assert (E5_MODEL_NAME, EMBEDDED_MODEL_NAME) == (e5_embedder.MODEL_NAME, embedder.MODEL_NAME)
