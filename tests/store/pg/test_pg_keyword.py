"""The server's keyword channel against a real PostgreSQL: BM25 ranking like FTS5, its statistics, the GIN index."""

from __future__ import annotations

from sidecar.store.keyword import KeywordIndex
from sidecar.store.pg import schema
from sidecar.store.pg.keyword import PgKeywordIndex

CORPUS = {  # one rare term (zanzibar) against one in nearly every row (coffee)
    "a": "coffee coffee coffee every morning before the coffee run",
    "b": "we planned a trip to Zanzibar",
    **{f"f{n}": f"coffee with friend number {n}" for n in range(8)},
}


def fill(index, corpus=CORPUS, user="u1") -> None:
    for memory_id, text in corpus.items():
        index.upsert(memory_id, text, user_id=user)


def test_a_rare_term_outranks_repeats_of_a_common_one_as_in_the_embedded_index(keyword_pool, tmp_path):
    server, embedded = PgKeywordIndex(keyword_pool), KeywordIndex(tmp_path / "keyword.db")
    try:
        fill(server)
        fill(embedded)
        for index in (server, embedded):  # ts_rank_cd (no IDF) put "a" first: three coffees beat one zanzibar
            assert index.search("coffee in zanzibar", filters={"user_id": "u1"})[0][0] == "b"
            assert index.search("friend number 3 coffee", filters={"user_id": "u1"})[0][0] == "f3"
    finally:
        embedded.close()


def test_a_text_match_outranks_a_longer_rows_context_match_and_scope_bounds_the_results(keyword_pool):
    index = PgKeywordIndex(keyword_pool)
    fill(index)
    index.upsert("in-text", "the harbour of Valletta", user_id="u2")
    index.upsert("in-context", "we went there by ferry", user_id="u2", context="the harbour of Valletta")
    index.upsert("other-user", "the harbour of Valletta", user_id="u3")
    hits = index.search("Valletta harbour", filters={"user_id": "u2"})
    assert [m for m, _ in hits] == ["in-text", "in-context"] and hits[0][1] > hits[1][1] > 0
    assert index.search("Valletta", filters={"user_id": "u1"}) == []
    assert index.search("the of", filters={"user_id": "u2"}) == []  # stopwords only


def test_the_statistics_follow_every_write(keyword_pool, monkeypatch):
    from sidecar.store.pg import keyword

    monkeypatch.setattr(keyword, "FOLD_AFTER", 3)  # a search folds the per-write rows into one
    index = PgKeywordIndex(keyword_pool)
    fill(index)
    index.upsert("a", "now a much shorter text", user_id="u1")  # an update changes the length, not the count
    index.delete("b")
    index.delete_scope(user_id="u9")  # nothing there
    with index.batch():
        fill(index, {"x1": "one more row", "x2": "and another one"}, user="u9")
    assert index.search("shorter", filters={"user_id": "u1"})[0][0] == "a"
    index.delete_scope(user_id="u9")
    with keyword_pool.connection() as conn:
        stats = conn.execute(f"SELECT sum(docs), sum(tokens), count(*) FROM {schema.KEYWORD_STATS}").fetchone()
        actual = conn.execute(f"SELECT count(*), sum({schema.TOKENS}(tsv)), sum(doclen) "
                              f"FROM {schema.KEYWORDS}").fetchone()
    assert (int(stats[0]), int(stats[1])) == (len(CORPUS) - 1, int(actual[1])) == (int(actual[0]), int(actual[2]))
    assert stats[2] == 1 + 2  # folded at the search, then the two rows deleted from u9


def test_a_table_made_before_the_statistics_gets_them_from_its_rows(keyword_pool):
    index = PgKeywordIndex(keyword_pool)
    fill(index)
    with keyword_pool.connection() as conn:
        conn.execute(f"DROP TRIGGER {schema.KEYWORD_STATS}_keep ON {schema.KEYWORDS}")
        conn.execute(f"DROP TABLE {schema.KEYWORD_STATS}")
        conn.execute(f"UPDATE {schema.KEYWORDS} SET doclen = NULL")
        conn.commit()
        conn.autocommit = True
        schema.ensure(conn, "memories", 384)
        conn.autocommit = False
        docs, tokens = conn.execute(f"SELECT sum(docs), sum(tokens) FROM {schema.KEYWORD_STATS}").fetchone()
        expected = conn.execute(f"SELECT count(*), sum({schema.TOKENS}(tsv)) FROM {schema.KEYWORDS}").fetchone()
    assert (int(docs), int(tokens)) == (int(expected[0]), int(expected[1]))
    assert [m for m, _ in index.search("zanzibar", filters={"user_id": "u1"})] == ["b"]


def test_the_search_can_find_its_rows_through_the_gin_index(keyword_pool):
    """On a table this small a scan is cheaper; at 100k rows the planner takes the GIN index by itself."""
    from sidecar.store.pg import keyword

    index = PgKeywordIndex(keyword_pool)
    fill(index)
    with keyword_pool.connection() as conn:
        conn.execute(f"ANALYZE {schema.KEYWORDS}")
        conn.execute("SET LOCAL enable_seqscan = off")
        plans = ["\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params).fetchall()) for sql, params in (
            (keyword.head_sql("TRUE"), ("zanzibar", [], 10)),  # the terms' counts are its subqueries
            (keyword.bm25_sql("TRUE"), (["'zanzibar'"], [1.0], "'zanzibar'", 5.0, 5.0, 10)))]  # the terms' part
    for plan in plans:
        assert f"Bitmap Index Scan on {schema.KEYWORDS}_tsv" in plan, plan


def test_a_common_term_is_counted_up_to_a_cap_then_taken_from_the_column_statistics(keyword_pool, monkeypatch):
    from sidecar.store.pg import keyword, term_counts

    monkeypatch.setattr(term_counts, "EXACT_UP_TO", 3)
    monkeypatch.setattr(term_counts, "ESTIMATE_FROM", 3)
    fill(PgKeywordIndex(keyword_pool))

    def counts(known: term_counts.TermCounts) -> tuple[list[str], list[int]]:
        """The counts a search takes: the first statement's, then the statistics' estimates."""
        lexemes, counted, docs = conn.execute(keyword.head_sql("TRUE"), (
            "coffee zanzibar friend unheard", known.common(conn), 10)).fetchone()[:3]
        return lexemes, known.resolve(lexemes, counted, int(docs))

    with keyword_pool.connection() as conn:
        lexemes, before = counts(term_counts.TermCounts())
        assert lexemes == ["coffe", "friend", "unheard", "zanzibar"]
        conn.execute(f"ANALYZE {schema.KEYWORDS}")
        known = term_counts.TermCounts()
        first = counts(known)[1]  # the table's size is not known yet: every term is counted, up to the cap
        after = counts(known)[1]
        assert {"coffe", "friend"} <= set(known.common(conn)) and "zanzibar" not in known.common(conn)
        skipped = conn.execute(keyword.head_sql("TRUE"), ("coffee zanzibar friend unheard", known.common(conn),
                                                          10)).fetchone()[1]
    assert skipped == [None, None, 0, 1]  # the common ones are not counted any more
    assert before == [3, 3, 0, 1]  # capped, no statistics yet
    assert first == after == [9, 8, 0, 1]  # the statistics' share of 10 rows


def test_a_lexeme_holding_a_quote_is_counted_as_the_lexeme_it_is(keyword_pool):
    from sidecar.store.pg import keyword, term_counts

    index = PgKeywordIndex(keyword_pool)
    index.upsert("q1", "see http://example.com/it's now, http://example.com/it's", user_id="u1")
    index.upsert("q2", "the page example.com/it's again", user_id="u1")
    with keyword_pool.connection() as conn:
        lexemes, counted = conn.execute(keyword.head_sql("TRUE"), ("example.com/it's", [], 10)).fetchone()[:2]
        expected = [conn.execute(f"SELECT count(*) FROM {schema.KEYWORDS} WHERE tsv @@ %s::tsquery",
                                 (term_counts.tsquery_term(x),)).fetchone()[0] for x in lexemes]
    assert any("'" in x for x in lexemes) and counted == expected and min(expected) > 0  # the search's words never
    # hold one (keyword_query splits them), the statement still quotes what the server's parser makes
