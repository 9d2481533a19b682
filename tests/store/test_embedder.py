import shutil
from pathlib import Path

import numpy as np
import pytest

from sidecar.store import embedder as emb
from sidecar.store.embedder import EmbedderError, MiniLMEmbedder, verify_model


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    return MiniLMEmbedder(threads=1)


def test_vectors_are_384_dims_and_unit_length(model):
    vectors = model.embed(["I am allergic to peanuts", "short", "a " * 400])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(model):
    a, b, c = model.embed(["I am allergic to peanuts", "peanut allergy", "I went hiking in the Alps"])
    assert float(a @ b) > 0.6 > float(a @ c)


def test_batch_results_do_not_depend_on_padding(model):
    texts = ["tiny", "a much longer sentence about what I like to eat for dinner on weekdays"]
    fresh = MiniLMEmbedder(threads=1, cache_size=0)
    together = fresh.embed(texts)
    alone = np.vstack([MiniLMEmbedder(threads=1, cache_size=0).embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_cache_answers_repeated_texts(model):
    model.embed(["cache me please"])
    calls = model.calls
    model.embed(["cache me please"])
    assert model.calls == calls


def test_altered_model_file_is_refused(tmp_path: Path):
    copy = tmp_path / "model.onnx"
    shutil.copy(emb.model_path(), copy)
    with copy.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(EmbedderError, match="sha256"):
        verify_model(copy)
    assert verify_model() == emb.model_path()
