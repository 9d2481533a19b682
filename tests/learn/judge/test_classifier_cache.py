"""The judge's trained classifier is read from disk at the next start instead of trained again."""

from __future__ import annotations

import numpy as np
import pytest

from sidecar.learn.judge import classifier_cache
from sidecar.learn.judge.kind_classifier import KindClassifier


def training_set() -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    kinds = ["fact" if row[0] > 0 else "chatter" for row in vectors]
    return vectors, kinds


def test_a_second_start_reads_the_trained_weights_instead_of_training(tmp_path, monkeypatch):
    vectors, kinds = training_set()
    first = classifier_cache.trained_classifier(vectors, kinds, tmp_path)
    assert len(list(tmp_path.glob("gate-classifier-*.npz"))) == 1

    def no_training(self, *args, **kwargs):
        raise AssertionError("trained again although the cache holds these weights")

    monkeypatch.setattr(KindClassifier, "fit", no_training)
    second = classifier_cache.trained_classifier(vectors, kinds, tmp_path)
    assert second.kinds == first.kinds
    np.testing.assert_allclose(second.predict_proba(vectors), first.predict_proba(vectors))


def test_other_exemplars_or_a_damaged_file_train_again(tmp_path):
    vectors, kinds = training_set()
    classifier_cache.trained_classifier(vectors, kinds, tmp_path)
    [saved] = tmp_path.glob("gate-classifier-*.npz")
    saved.write_bytes(b"not a numpy file")
    again = classifier_cache.trained_classifier(vectors, kinds, tmp_path)  # trained and replaced, no error
    assert again.kinds == ("chatter", "fact")
    with np.load(saved) as data:
        assert tuple(data["kinds"]) == ("chatter", "fact")
    changed = ["fact"] * len(kinds)
    assert classifier_cache.cache_key(KindClassifier(), vectors, changed) != \
        classifier_cache.cache_key(KindClassifier(), vectors, kinds)
    assert classifier_cache.trained_classifier(vectors, changed, tmp_path).kinds == ("fact",)
    assert len(list(tmp_path.glob("gate-classifier-*.npz"))) == 2


@pytest.mark.parametrize("cache_dir", [None])
def test_without_a_cache_folder_it_always_trains(cache_dir):
    vectors, kinds = training_set()
    assert classifier_cache.trained_classifier(vectors, kinds, cache_dir).kinds == ("chatter", "fact")
