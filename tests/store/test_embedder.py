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
    fresh.embed(["sentence number 1"])  # cached: no model run, no pause
    assert len(seen) == 3
    fresh.query_one("a query that was never embedded")
    assert len(seen) == 4
    fresh.query_one("a query that was never embedded")
    assert len(seen) == 4
    fresh.set_checkpoint(None)
    fresh.embed(["yet another new text"])
    assert len(seen) == 4


def test_a_single_exact_query_embeds_like_the_same_text_in_a_batch():
    text = "what did I plant on the balcony last spring?"
    alone = MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=False).query_one(text)
    batched = MiniLMEmbedder(threads=1, cache_size=0).embed([text, "and something else entirely"])[0]
    assert np.allclose(alone, batched, atol=1e-4)


def test_a_single_quantized_query_embeds_close_to_the_same_text_in_a_batch_of_queries():
    text = "what did I plant on the balcony last spring?"
    alone = np.asarray(MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=True).query_one(text))
    batched = MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=True).embed_queries(
        [text, "and something else entirely"])[0]
    exact = MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=False).embed([text])[0]
    # the quantized graph scales its 8-bit steps to the whole batch, so a batch moves a query a little, and
    # not always the same way as the single run does (onnxruntime 1.32: 0.995 and 0.994 to the exact vector,
    # 0.989 to each other); what matters is that both stay close to the exact vector
    assert float(alone @ exact) > 0.99 and float(batched @ exact) > 0.99
    assert float(alone @ batched) > 0.98


def test_quantized_queries_go_through_their_own_graph_and_stay_close_to_the_exact_vector():
    texts = ["When did Melanie paint a sunrise?", "What fields would Caroline be likely to pursue in her education?",
             "how do I run the tests of the keyword index", "peanut allergy"]
    fresh = MiniLMEmbedder(threads=1, quantized_queries=True)
    queries = np.vstack([fresh.query_one(t) for t in texts])
    stored = fresh.embed(texts)
    assert np.array_equal(stored, MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=False).embed(texts))
    cosines = (queries * stored).sum(axis=1)
    assert np.all(cosines > 0.97) and not np.array_equal(queries, stored)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    calls = fresh.calls
    fresh.query_one(texts[0])
    fresh.embed([texts[1]])
    assert fresh.calls == calls  # each path answers its own repeats from the cache
    seen: list[int] = []
    fresh.set_checkpoint(lambda: seen.append(1))
    fresh.query_one("a question never asked")
    assert seen == [1]  # the quantized path pauses at the checkpoint too


def test_one_text_is_embedded_bit_for_bit_as_the_batch_path_embeds_it_alone():
    fresh = MiniLMEmbedder(threads=1, cache_size=0)
    texts = ["When did Melanie paint a sunrise?", "x", "Caroline: I went to the LGBTQ support group. " * 40]
    for text in texts:  # the last one is cut at 256 tokens
        encoding = fresh._tokenizer.encode(text)
        assert np.array_equal(fresh.embed([text]), fresh._run([encoding], fresh._session))
        assert np.array_equal(fresh.embed_queries([text]), fresh._run([encoding], fresh._query_session))
        assert fresh.query_one(text) == fresh._run([encoding], fresh._query_session)[0].tolist()


def test_quantized_queries_can_be_turned_off():
    fresh = MiniLMEmbedder(threads=1, cache_size=0, quantized_queries=False)
    text = "What did Caroline research?"
    assert np.array_equal(np.asarray(fresh.query_one(text), dtype=np.float32), fresh.embed([text])[0])


def test_stored_texts_get_the_published_models_own_vectors(model):
    import onnxruntime as ort

    texts = ["Caroline: I went to the LGBTQ support group yesterday.", "short", "a " * 300]
    exact = MiniLMEmbedder(threads=1, cache_size=0)
    exact._session = ort.InferenceSession(str(verify_model()), emb.session_options(1),
                                          providers=["CPUExecutionProvider"])  # the file as published
    assert np.array_equal(model.embed(texts), exact.embed(texts))


def test_runs_are_cut_by_rows_and_by_padded_tokens():
    lengths = [5, 5, 5, 100, 120, 250, 256, 256, 256, 256, 256, 256, 256, 256, 256]
    order = sorted(range(len(lengths)), key=lambda k: lengths[k])
    runs = emb.batches(order, lengths, rows=4, tokens=600)
    assert [k for run in runs for k in run] == order  # every text once, in length order
    for run in runs:
        assert len(run) <= 4
        assert len(run) == 1 or len(run) * max(lengths[k] for k in run) <= 600
    assert [len(run) for run in runs] == [4, 2, 2, 2, 2, 2, 1]
    assert emb.batches([0], [300], rows=4, tokens=100) == [[0]]  # a text longer than the budget runs alone


def test_long_texts_embed_alike_whatever_the_token_budget(model, monkeypatch):
    texts = ["word " * n for n in (3, 40, 200, 250, 255)]
    expected = MiniLMEmbedder(threads=1, cache_size=0).embed(texts)
    monkeypatch.setattr(emb, "BATCH_TOKENS", 300)
    assert np.allclose(MiniLMEmbedder(threads=1, cache_size=0).embed(texts), expected, atol=1e-4)


def test_a_large_batch_on_two_workers_gets_the_vectors_of_one_worker():
    texts = [f"note {n}: " + "the garden needs water " * (n % 7 + 1) for n in range(40)]
    one = MiniLMEmbedder(threads=1, cache_size=0, bulk_workers=1).embed(texts, batch_size=4)
    two = MiniLMEmbedder(threads=1, cache_size=0, bulk_workers=2).embed(texts, batch_size=4)
    assert np.array_equal(one, two)
