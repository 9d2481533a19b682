"""The embedded judge's trained classifier, kept on disk: training it again at every start cost seconds.

Training (:meth:`KindClassifier.fit`, 400 epochs over ~500 exemplar vectors) takes
1-3 s on an idle 2-core machine and 10 s or more on a loaded one, and its result
depends only on the exemplar vectors, their kinds and the hyper-parameters. So the
weights are saved under a digest of exactly those, next to the cached exemplar
vectors; a damaged or mismatching file is only a cache: the classifier is trained
again and the file replaced.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sidecar.learn.judge.kind_classifier import KindClassifier

log = logging.getLogger("sidecar.learn.judge")


def cache_key(classifier: KindClassifier, vectors: np.ndarray, kinds: Sequence[str]) -> str:
    """A digest of what training reads: the vectors, their kinds and the hyper-parameters."""
    digest = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update("\n".join(kinds).encode())
    digest.update(repr((classifier.l2, classifier.epochs, classifier.learning_rate, classifier.scale,
                        vectors.shape)).encode())
    return digest.hexdigest()[:16]


def trained_classifier(vectors: np.ndarray, kinds: Sequence[str], cache_dir: Path | None) -> KindClassifier:
    """A classifier trained on ``vectors``/``kinds``: read from ``cache_dir`` when trained before, else trained
    (and saved there; no ``cache_dir``: always trained)."""
    classifier = KindClassifier()
    if cache_dir is None:
        return classifier.fit(vectors, kinds)
    path = cache_dir / f"gate-classifier-{cache_key(classifier, vectors, kinds)}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                weights, bias, names = saved["weights"], saved["bias"], tuple(str(k) for k in saved["kinds"])
            if names == tuple(sorted(set(kinds))) and weights.shape == (vectors.shape[1], len(names)) \
                    and bias.shape == (len(names),):
                classifier.kinds, classifier._weights, classifier._bias = names, weights, bias
                return classifier
        except (OSError, ValueError, KeyError, EOFError):
            log.debug("judge classifier cache %s unreadable; training again", path)
    classifier.fit(vectors, kinds)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, weights=classifier._weights, bias=classifier._bias, kinds=np.array(classifier.kinds))
        tmp.replace(path)
    except OSError as exc:  # a cache that cannot be written costs the next start a training, nothing else
        log.warning("could not save the judge classifier to %s: %s", path, exc)
    return classifier
