"""Realistic stored text and distinct queries for the performance benchmarks.

Stored text: LoCoMo conversation turns ("Speaker: what was said", 4,124 in the
development split). A store larger than that gets further copies of the turns
with the speakers' names replaced by another pair from :data:`NAMES`, so every
memory is a real utterance and the vocabulary grows as it would with more people.
Queries: the LoCoMo questions (categories 1-5, 1,033+ distinct), in a fixed
shuffled order, each asked once as long as there are enough of them.

For the scale benchmark, :func:`scale_texts` mixes in the sentences of the shared
coding-agent transcripts (``../shared/data/transcripts`` and ``learning/files``), so
the store also holds the technical prose an agent's memory really sees.

The data is read from ``../shared/data/locomo`` (``$LOCOMO_DATA`` elsewhere) and
never copied into the project (CC BY-NC 4.0).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_DATA = SHARED_DATA / "locomo" / "locomo10_dev.json"
TRANSCRIPT_FOLDERS = ("transcripts", "learning/files")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
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


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _file_strings(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix not in (".json", ".jsonl"):
        yield text
        return
    for line in text.splitlines() if path.suffix == ".jsonl" else [text]:
        try:
            yield from _strings(json.loads(line))
        except ValueError:
            continue


@lru_cache(maxsize=1)
def agent_sentences() -> tuple[str, ...]:
    """Distinct prose sentences (5-60 words, mostly letters) of the shared coding-agent transcripts, sorted."""
    from sidecar.learn.secret_guard import secret_kinds

    root = Path(os.environ.get("SHARED_DATA") or SHARED_DATA)
    found: set[str] = set()
    for folder in TRANSCRIPT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or path.name.startswith(("LICENSE", "SOURCES")):
                continue
            for blob in _file_strings(path):
                for line in blob.splitlines():
                    for sentence in _SENTENCE_END.split(line.strip(" #>-*`")):
                        sentence = sentence.strip()
                        letters = sum(c.isalpha() or c == " " for c in sentence)
                        if 5 <= len(sentence.split()) <= 60 and letters >= 0.8 * len(sentence) \
                                and not secret_kinds(sentence):  # the daemon refuses those
                            found.add(sentence)
    return tuple(sorted(found))


def scale_texts(n: int, seed: int = 13) -> list[str]:
    """``n`` distinct memory texts: every LoCoMo turn and agent-transcript sentence, shuffled together, then the
    renamed LoCoMo copies of :func:`stored_texts` (deterministic for a given data folder and ``seed``)."""
    turns = stored_texts(len(_all_turns()))
    base = list(dict.fromkeys([*turns, *agent_sentences()]))
    random.Random(seed).shuffle(base)
    out = list(dict.fromkeys(base + stored_texts(max(0, n - len(base)) + len(turns))[len(turns):]))
    extra = len(turns) + n
    while len(out) < n:  # renamed copies that collided with a text already there
        out = list(dict.fromkeys(base + stored_texts(extra)[len(turns):]))
        extra += n - len(out)
    return out[:n]


def _all_turns() -> list[str]:
    return [text for _, texts in _conversations() for text in texts]
