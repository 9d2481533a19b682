"""KeywordIndex on real SQLite FTS5: ranking, scope isolation, sync, hostile queries."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sidecar.store import keyword_schema
from sidecar.store.keyword import KeywordIndex
from sidecar.store.keyword_query import build_match_query


@pytest.fixture
def index(tmp_path: Path):
    idx = KeywordIndex(tmp_path / "keyword.db")
    yield idx
    idx.close()


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [memory_id for memory_id, _ in hits]


def test_search_ranks_the_matching_memory_first(index: KeywordIndex) -> None:
    index.upsert("m1", "Melanie: I painted a sunrise over the lake last year", user_id="alice")
    index.upsert("m2", "Caroline: I went to a support group yesterday", user_id="alice")
    index.upsert("m3", "Caroline: the weather was nice", user_id="alice")
    hits = index.search("When did Melanie paint a sunrise?", filters={"user_id": "alice"}, limit=5)
    assert ids(hits)[0] == "m1"
    assert "m3" not in ids(hits)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)


def test_other_users_rows_are_never_returned(index: KeywordIndex) -> None:
    index.upsert("a1", "alice loves hiking in the alps", user_id="alice")
    index.upsert("b1", "bob loves hiking too", user_id="bob")
    index.upsert("b2", "bob hiking hiking hiking alps alps", user_id="bob", agent_id="coder")
    assert ids(index.search("hiking alps", filters={"user_id": "alice"}, limit=10)) == ["a1"]
    assert set(ids(index.search("hiking alps", filters={"user_id": "bob"}, limit=10))) == {"b1", "b2"}
    scoped = index.search("hiking", filters={"user_id": "bob", "agent_id": "coder"}, limit=10)
    assert ids(scoped) == ["b2"]
    assert index.search("hiking", filters={"user_id": "carol"}, limit=10) == []
    assert index.count({"user_id": "bob"}) == 2
    assert index.ids({"user_id": "alice"}) == {"a1"}


@pytest.mark.parametrize("filters", [{}, {"user_id": None}, {"tenant": "x"}])
def test_search_refuses_missing_or_unknown_scope(index: KeywordIndex, filters: dict) -> None:
    index.upsert("a1", "alice loves hiking", user_id="alice")
    with pytest.raises(ValueError):
        index.search("hiking", filters=filters, limit=5)


def test_upsert_replaces_text_and_scope(index: KeywordIndex) -> None:
    index.upsert("m1", "my cat is called Tom", user_id="alice")
    index.upsert("m1", "my dog is called Rex", user_id="alice")
    assert index.count() == 1
    assert index.search("cat", filters={"user_id": "alice"}, limit=5) == []
    assert ids(index.search("dog", filters={"user_id": "alice"}, limit=5)) == ["m1"]
    index.upsert("m1", "my dog is called Rex", user_id="bob")
    assert index.search("dog", filters={"user_id": "alice"}, limit=5) == []
    assert ids(index.search("dog", filters={"user_id": "bob"}, limit=5)) == ["m1"]


def test_delete_and_delete_scope_keep_index_in_sync(index: KeywordIndex) -> None:
    for n in range(3):
        index.upsert(f"a{n}", f"alice note {n} about gardening", user_id="alice", run_id=f"r{n % 2}")
    index.upsert("b0", "bob note about gardening", user_id="bob")
    assert index.delete("a0") is True
    assert index.delete("a0") is False
    assert "a0" not in ids(index.search("gardening", filters={"user_id": "alice"}, limit=10))
    assert index.delete_scope(user_id="alice", run_id="r1") == 1
    assert index.ids() == {"a2", "b0"}
    assert index.delete_scope(user_id="alice") == 1
    assert index.ids() == {"b0"}
    assert ids(index.search("gardening", filters={"user_id": "bob"}, limit=10)) == ["b0"]
    with pytest.raises(ValueError):
        index.delete_scope()


HOSTILE = [
    "don't", '"', '""', "AND", "OR NOT", "*", ":", "text:secret", "NEAR(a b, 2)", "a AND OR b",
    "^start", ")(", "-minus", 'a"b', "' OR 1=1 --", "\x00", "🙂 emoji", "col:", "**", "x" * 5000,
    " ".join(["word"] * 500), "", "   ", "{text context}: foo",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_do_not_raise(index: KeywordIndex, query: str) -> None:
    index.upsert("m1", "I don't stop near the text column secret word", user_id="alice")
    hits = index.search(query, filters={"user_id": "alice"}, limit=5)
    assert all(memory_id == "m1" for memory_id, _ in hits)


def test_fts_operators_in_user_text_are_plain_words(index: KeywordIndex) -> None:
    index.upsert("m1", "we met near the station", user_id="alice")
    index.upsert("m2", "I don't like mornings", user_id="alice")
    assert ids(index.search("NEAR", filters={"user_id": "alice"}, limit=5)) == ["m1"]
    assert ids(index.search("don't like", filters={"user_id": "alice"}, limit=5)) == ["m2"]
    assert build_match_query("the and of") is None
    assert build_match_query('say "hi" NOT') == '"say" OR "hi"'


def test_stemming_and_prefix_options(tmp_path: Path) -> None:
    stemmed = KeywordIndex(tmp_path / "s.db", stemming=True)
    plain = KeywordIndex(tmp_path / "p.db", stemming=False)
    prefixed = KeywordIndex(tmp_path / "x.db", prefix=True)
    for idx in (stemmed, plain, prefixed):
        idx.upsert("m1", "Melanie painted landscapes and photographs", user_id="u")
    assert ids(stemmed.search("painting", filters={"user_id": "u"}, limit=5)) == ["m1"]
    assert plain.search("painting", filters={"user_id": "u"}, limit=5) == []
    assert stemmed.search("photo", filters={"user_id": "u"}, limit=5) == []
    assert ids(prefixed.search("photo", filters={"user_id": "u"}, limit=5)) == ["m1"]
    for idx in (stemmed, plain, prefixed):
        idx.close()


def test_context_column_matches_but_weighs_less(index: KeywordIndex) -> None:
    index.upsert("own", "Caroline: I adopted a puppy", user_id="u")
    index.upsert("ctx", "Melanie: that is lovely", user_id="u", context="Caroline: I adopted a puppy")
    index.upsert("none", "Melanie: see you soon", user_id="u")
    assert ids(index.search("puppy adopted", filters={"user_id": "u"}, limit=5)) == ["own", "ctx"]


def test_reopen_with_other_tokenizer_rebuilds_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with KeywordIndex(path, stemming=True) as idx:
        idx.upsert("m1", "she painted a sunrise", user_id="u", context="morning")
        assert ids(idx.search("painting", filters={"user_id": "u"}, limit=5)) == ["m1"]
    with KeywordIndex(path, stemming=False) as idx:
        assert idx.ids() == {"m1"}
        assert idx.search("painting", filters={"user_id": "u"}, limit=5) == []
        assert ids(idx.search("painted morning", filters={"user_id": "u"}, limit=5)) == ["m1"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_writers_and_readers(index: KeywordIndex) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(40):
                index.upsert(f"w{worker}-{n}", f"worker {worker} note {n} shared topic", user_id=f"u{worker}")
                hits = index.search("shared topic", filters={"user_id": f"u{worker}"}, limit=100)
                assert all(m.startswith(f"w{worker}-") for m, _ in hits)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert index.count() == 160
    assert index.count({"user_id": "u2"}) == 40


def test_closed_index_refuses_work(tmp_path: Path) -> None:
    idx = KeywordIndex(tmp_path / "k.db")
    idx.upsert("m1", "hello world", user_id="u")
    idx.close()
    with pytest.raises(RuntimeError):
        idx.search("hello", filters={"user_id": "u"}, limit=5)


def test_failed_upsert_rolls_back_and_leaves_index_usable(index: KeywordIndex) -> None:
    index.upsert("m1", "first memory", user_id="u")
    with pytest.raises(sqlite3.Error):
        index.upsert("m2", object(), user_id="u")  # type: ignore[arg-type]
    assert index.ids() == {"m1"}
    index.upsert("m2", "second memory", user_id="u")
    assert set(ids(index.search("memory", filters={"user_id": "u"}, limit=5))) == {"m1", "m2"}


def test_a_batch_of_upserts_is_one_transaction_that_reads_its_own_rows(index: KeywordIndex,
                                                                        tmp_path: Path) -> None:
    other = KeywordIndex(tmp_path / "keyword.db")  # another connection: sees the batch only once it is done
    try:
        with index.batch():
            index.upsert("t1", "Caroline: I went to the LGBTQ support group", user_id="u", run_id="s1")
            assert index.neighbour_text(user_id="u", agent_id=None, run_id="s1") == \
                "Caroline: I went to the LGBTQ support group"
            with pytest.raises(sqlite3.Error):
                index.upsert("bad", object(), user_id="u", run_id="s1")  # type: ignore[arg-type]
            index.upsert("t2", "Melanie: that sounds lovely", user_id="u", run_id="s1")
            assert other.ids() == set()
        assert other.ids() == {"t1", "t2"}
        assert ids(other.search("support group", filters={"user_id": "u"}, limit=5)) == ["t1"]
        assert other.count({"user_id": "u"}) == index.count({"user_id": "u"}) == 2
    finally:
        other.close()


def test_newest_follows_write_order_within_a_scope(index):
    for n in range(5):
        index.upsert(f"m{n}", f"fact number {n}", user_id="alice")
    index.upsert("b0", "bob's fact", user_id="bob")
    index.upsert("m1", "fact number 1, reworded", user_id="alice")  # a change counts as a write
    assert index.newest({"user_id": "alice"}, 3) == ["m1", "m4", "m3"]
    assert index.newest({"user_id": "bob"}, 3) == ["b0"]


def test_index_made_before_write_order_is_migrated(tmp_path: Path):
    import sqlite3

    path = tmp_path / "old.db"
    index = KeywordIndex(path)
    index.upsert("a", "first", user_id="u")
    index.upsert("b", "second", user_id="u")
    index.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX keyword_rows_touched")
    conn.execute("ALTER TABLE keyword_rows DROP COLUMN touched")
    conn.commit()
    conn.close()
    reopened = KeywordIndex(path)
    assert reopened.newest({"user_id": "u"}, 5) == ["b", "a"]
    reopened.close()


def test_counts_by_scope_column(index):
    index.upsert("a1", "one", user_id="alice", agent_id="codex")
    index.upsert("a2", "two", user_id="alice")
    index.upsert("b1", "three", user_id="bob", agent_id="codex")
    assert index.counts_by("user_id") == {"alice": 2, "bob": 1}
    assert index.counts_by("agent_id") == {"codex": 2, "-": 1}
    with pytest.raises(ValueError):
        index.counts_by("text; DROP TABLE keyword_rows")


@pytest.mark.parametrize("damage", ["zeroed", "garbage"])
def test_a_damaged_index_is_kept_aside_and_a_new_one_starts(tmp_path: Path, damage: str, caplog) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        idx.upsert("m1", "she painted a sunrise", user_id="u")
    size = path.stat().st_size
    path.write_bytes(b"\0" * size if damage == "zeroed" else b"not sqlite at all " * 300)
    damaged = path.read_bytes()
    with KeywordIndex(path) as idx:
        assert idx.recovered_from is not None and idx.recovered_from.startswith("keyword.db.corrupt-")
        assert (tmp_path / idx.recovered_from).read_bytes() == damaged
        assert idx.count() == 0
        idx.upsert("m2", "a new row", user_id="u")  # and it works
        assert ids(idx.search("new row", filters={"user_id": "u"}, limit=5)) == ["m2"]
    assert any(idx.recovered_from in r.getMessage() for r in caplog.records)


def test_an_index_from_a_newer_version_is_rebuilt_not_read(tmp_path: Path) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        idx.upsert("m1", "text", user_id="u")
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version=99")
    with KeywordIndex(path) as idx:
        assert idx.recovered_from is not None and idx.count() == 0


def test_an_unversioned_index_is_backed_up_then_stamped(tmp_path: Path) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as idx:
        idx.upsert("m1", "she painted a sunrise", user_id="u")
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version=0")  # as every index made before versions were stamped
    with KeywordIndex(path) as idx:
        assert idx.ids() == {"m1"} and idx.recovered_from is None
    (backup,) = tmp_path.glob("keyword.db.v0-backup-*")
    with sqlite3.connect(backup) as raw:
        assert raw.execute("SELECT memory_id FROM keyword_rows").fetchall() == [("m1",)]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == keyword_schema.SCHEMA_VERSION
    KeywordIndex(path).close()
    assert len(list(tmp_path.glob("keyword.db.v*-backup-*"))) == 1  # a current file is not backed up again


def test_digests_follow_text_and_scope(index: KeywordIndex) -> None:
    index.upsert("m1", "likes tea", user_id="u")
    index.upsert("m2", "likes tea", user_id="u", agent_id="codex")
    first = index.digests()
    assert set(first) == {"m1", "m2"} and first["m1"] != first["m2"]
    index.upsert("m1", "likes coffee", user_id="u")
    assert index.digests()["m1"] != first["m1"] and index.digests()["m2"] == first["m2"]
