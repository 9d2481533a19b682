"""Realistic stored text and distinct queries for the performance benchmarks.

Stored text: LoCoMo conversation turns ("Speaker: what was said", 4,124 in the
development split). A store larger than that gets further copies of the turns
with the speakers' names replaced by another pair from :data:`NAMES`, so every
memory is a real utterance and the vocabulary grows as it would with more people.
Queries: the LoCoMo questions (categories 1-5, 1,033+ distinct), in a fixed
shuffled order, each asked once as long as there are enough of them.

The data is read from ``../shared/data/locomo`` (``$LOCOMO_DATA`` elsewhere) and
never copied into the project (CC BY-NC 4.0).
"""

from __future__ import annotations

import json
import os
import random
import re
from functools import lru_cache
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "locomo" / "locomo10_dev.json"
NAMES = ["Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Keiko", "Lars",
         "Mina", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tess", "Umar", "Vera", "Wen", "Ximena",
         "Yusuf", "Zoe", "Amara", "Boris", "Carmen", "Dario", "Esme", "Felix", "Gwen", "Hassan", "Ida", "Jamal",
         "Kira", "Luca", "Maya", "Nils"]


def data_path() -> Path:
    return Path(os.environ.get("LOCOMO_DATA") or DEFAULT_DATA)


@lru_cache(maxsize=1)
def _conversations() -> tuple[tuple[tuple[str, str], tuple[str, ...]], ...]:
    """((speaker_a, speaker_b), turn texts) per conversation."""
    out = []
    for sample in json.loads(data_path().read_text(encoding="utf-8")):
        conv = sample["conversation"]
        numbers = sorted(int(m[1]) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
        texts = tuple(f"{t['speaker']}: {t['text']}" for n in numbers for t in conv[f"session_{n}"])
        out.append(((str(conv["speaker_a"]), str(conv["speaker_b"])), texts))
    return tuple(out)


def stored_texts(n: int) -> list[str]:
    """``n`` memory texts: the LoCoMo turns, then renamed copies of them (see the module's docstring)."""
    out: list[str] = []
    copy = 0
    while len(out) < n:
        for (a, b), texts in _conversations():
            if copy == 0:
                out.extend(texts)
                continue
            new_a, new_b = NAMES[(2 * copy) % len(NAMES)], NAMES[(2 * copy + 1) % len(NAMES)]
            suffix = f" ({copy // (len(NAMES) // 2)})" if copy >= len(NAMES) // 2 else ""
            swap = {a: new_a + suffix, b: new_b + suffix}
            pattern = re.compile(r"\b(" + "|".join(re.escape(x) for x in swap) + r")\b")
            out.extend(pattern.sub(lambda m: swap[m[1]], text) for text in texts)
        copy += 1
    return out[:n]


def questions(n: int, seed: int = 13) -> list[str]:
    """``n`` LoCoMo questions, distinct while there are enough (then the list repeats), shuffled by ``seed``."""
    pool: list[str] = []
    for sample in json.loads(data_path().read_text(encoding="utf-8")):
        pool.extend(str(qa["question"]) for qa in sample.get("qa", []) if qa.get("question"))
    pool = sorted(set(pool))
    random.Random(seed).shuffle(pool)
    return [pool[i % len(pool)] for i in range(n)]


def distinct_questions() -> int:
    return len(set(questions(10_000)))
