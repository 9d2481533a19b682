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


def test_sessions_use_pool_threads_that_sleep_between_calls():
    options = emb.session_options(2)
    assert options.intra_op_num_threads == 2 and options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"
    built = MiniLMEmbedder(threads=1, cache_size=0)._session.get_session_options()
    assert built.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_checkpoint_runs_before_each_model_run_and_not_for_cached_texts():
    fresh = MiniLMEmbedder(threads=1)
    seen: list[int] = []
    fresh.set_checkpoint(lambda: seen.append(fresh.calls))
    fresh.embed([f"sentence number {n}" for n in range(5)], batch_size=2)
    assert len(seen) == 3  # three batches of at most two texts
    fresh.query_one("sentence number 1")  # cached: no model run, no pause
    assert len(seen) == 3
    fresh.query_one("a query that was never embedded")
    assert len(seen) == 4
    fresh.set_checkpoint(None)
    fresh.embed(["yet another new text"])
    assert len(seen) == 4


def test_a_single_query_embeds_like_the_same_text_in_a_batch():
    text = "what did I plant on the balcony last spring?"
    alone = MiniLMEmbedder(threads=1, cache_size=0).query_one(text)
    batched = MiniLMEmbedder(threads=1, cache_size=0).embed([text, "and something else entirely"])[0]
    assert np.allclose(alone, batched, atol=1e-4)
