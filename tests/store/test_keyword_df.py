"""The kept document frequencies (``keyword_df``) agree with FTS5's own counts after every kind of write,
across a reopen, a migration, a tokenizer change and a kill -9 in the middle of writes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.store import keyword_df, keyword_topk
from sidecar.store.keyword import KeywordIndex

TEXTS = [
    "Melanie painted a sunrise over the lake",
    "Caroline went to the LGBTQ support group",
    "Melanie's kids love the painting class",
    "running, runs and ran: the porter stemmer folds them",
    "café résumé naïve",  # diacritics folded by the tokenizer
    "snake_case words split in two",
]


def counted(index: KeywordIndex, phrases: list[str]) -> list[int]:
    return keyword_topk.counted(index._conn(), phrases)


def words_of(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in t.lower().replace(",", " ").replace(":", " ").split()})


def assert_in_step(index: KeywordIndex, probe: list[str]) -> None:
    assert keyword_df.mismatches(index._conn()) == {}
    phrases = [f'"{w}"' for w in probe]
    assert index.document_frequencies(phrases) == counted(index, phrases)


@pytest.fixture
def index(tmp_path: Path):
    idx = KeywordIndex(tmp_path / "keyword.db")
    yield idx
    idx.close()


def test_frequencies_follow_adds_updates_and_deletes(index: KeywordIndex) -> None:
    for n, text in enumerate(TEXTS):
        index.upsert(f"m{n}", text, user_id="u", context="previous turn about the lake" if n % 2 else "")
    probe = words_of(TEXTS) + ["lake", "previous", "absent", "snake_case", "cafe"]
    assert_in_step(index, probe)
    assert index.document_frequencies(['"lake"', '"absent"']) == [4, 0]  # m0 by text, m1 m3 m5 by context
    index.upsert("m0", "Melanie painted a sunset", user_id="u")  # "lake" and "sunrise" leave this row
    index.upsert("m1", "Caroline went to the lake", user_id="v", context="")  # text gains what context lost
    assert index.delete("m2")
    assert_in_step(index, probe + ["sunset"])
    assert index.document_frequencies(['"sunrise"', '"sunset"', '"lake"']) == [0, 1, 3]


@pytest.mark.parametrize("rebuild_above", [0, 10_000])
def test_a_scope_delete_keeps_them_whether_recounted_or_subtracted(index: KeywordIndex, monkeypatch,
                                                                   rebuild_above: int) -> None:
    monkeypatch.setattr(keyword_df, "REBUILD_ABOVE", rebuild_above)
    for n, text in enumerate(TEXTS * 3):
        index.upsert(f"m{n}", text, user_id="gone" if n % 3 else "kept", run_id=f"r{n % 2}")
    assert index.delete_scope(user_id="gone") == 12
    assert_in_step(index, words_of(TEXTS))
    assert index.delete_scope(user_id="kept", run_id="r0") == 3
    assert_in_step(index, words_of(TEXTS))


def test_they_survive_a_reopen_without_a_recount(tmp_path: Path, caplog) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        for n, text in enumerate(TEXTS):
            idx.upsert(f"m{n}", text, user_id="u")
        idx.delete("m1")
    with KeywordIndex(path) as idx:
        assert_in_step(idx, words_of(TEXTS))
    assert not [r for r in caplog.records if "document frequencies" in r.getMessage()]


def test_prefix_and_split_phrases_are_counted(index: KeywordIndex) -> None:
    for n, text in enumerate(TEXTS):
        index.upsert(f"m{n}", text, user_id="u")
    phrases = ['"melan"*', '"snake_case"', '"_"', '"paint"*']
    assert index.document_frequencies(phrases) == counted(index, phrases) == [2, 1, 0, 2]


def test_a_version_1_file_gets_them_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        for n, text in enumerate(TEXTS):
            idx.upsert(f"m{n}", text, user_id="u")
    with sqlite3.connect(path) as raw:  # as a file of the previous schema
        raw.execute("DROP TABLE keyword_df")
        raw.execute("PRAGMA user_version=1")
    with KeywordIndex(path) as idx:
        assert_in_step(idx, words_of(TEXTS))
    assert len(list(tmp_path.glob("keyword.db.v1-backup-*"))) == 1


def test_a_tokenizer_change_recounts_them(tmp_path: Path) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        for n, text in enumerate(TEXTS):
            idx.upsert(f"m{n}", text, user_id="u")
        assert idx.document_frequencies(['"painting"']) == [2]  # "painted" and "painting" stem alike
    with KeywordIndex(path, stemming=False) as idx:
        assert_in_step(idx, words_of(TEXTS))
        assert idx.document_frequencies(['"painting"', '"painted"']) == [1, 1]


def test_counts_changed_behind_the_index_are_recounted_at_open(tmp_path: Path, caplog) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        for n, text in enumerate(TEXTS):
            idx.upsert(f"m{n}", text, user_id="u")
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE keyword_df SET docs = docs + 7 WHERE term = 'lake'")  # a term of the oldest row
        raw.execute("INSERT INTO keyword_df(term, docs) VALUES('phantom', 2)")
    with KeywordIndex(path) as idx:
        assert_in_step(idx, words_of(TEXTS))
    assert any("document frequencies out of step" in r.getMessage() for r in caplog.records)


WRITER = """
import sys
from sidecar.store.keyword import KeywordIndex
index = KeywordIndex(sys.argv[1])
words = "lake sunrise painting group support kids class stemmer garden tulips".split()
n = 0
while True:
    text = " ".join(words[(n + k) % len(words)] for k in range(1 + n % 4))
    if n % 5 == 4:
        index.delete(f"m{(n * 7) % 40}")
    else:
        index.upsert(f"m{n % 40}", text, user_id="u", context=words[n % 3])
    n += 1
    print(n, flush=True)
"""


def test_kill_9_between_writes_leaves_them_in_step(tmp_path: Path, caplog) -> None:
    path = tmp_path / "keyword.db"
    KeywordIndex(path).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        for line in writer.stdout:  # let it run a few hundred writes, then kill it mid-stream
            if int(line) >= 300:
                break
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait()
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    with KeywordIndex(path) as idx:
        assert idx.count() > 0
        assert_in_step(idx, ["lake", "sunrise", "painting", "group", "tulips", "garden"])
    assert not [r for r in caplog.records if "document frequencies" in r.getMessage()]  # in step, not repaired
