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


def test_counts_of_the_table_and_of_scopes_are_exact_after_every_kind_of_write(keyword_pool):
    index = PgKeywordIndex(keyword_pool)
    fill(index)
    assert index.count() == index.count({"user_id": "u1"}) == len(CORPUS)  # u1 holds every row
    assert index.count({"user_id": "u2"}) == 0
    index.upsert("n1", "no user", agent_id="a1")  # a row without a user: u1 no longer holds every row
    assert (index.count(), index.count({"user_id": "u1"}), index.count({"agent_id": "a1"})) == (
        len(CORPUS) + 1, len(CORPUS), 1)
    index.delete("n1")
    index.upsert("b", "moved to another user", user_id="u0")  # sorts before u1
    assert (index.count({"user_id": "u1"}), index.count({"user_id": "u0"})) == (len(CORPUS) - 1, 1)
    index.delete_scope(user_id="u0")
    index.upsert("z", "one more", user_id="u1", agent_id="a1")
    assert index.count({"user_id": "u1", "agent_id": "a1"}) == 1  # the agent is not every row's
    assert index.count({"user_id": "u1"}) == index.count() == len(CORPUS)
    with keyword_pool.connection() as conn:
        assert conn.execute(f"SELECT count(*) FROM {schema.KEYWORDS} WHERE user_id = 'u1'").fetchone()[0] == len(CORPUS)


def test_counting_a_scope_reads_no_row_and_no_index_entry_of_the_keyword_table(keyword_pool):
    from contextlib import contextmanager

    fill(PgKeywordIndex(keyword_pool), {f"r{n}": f"row number {n}" for n in range(60)})
    fill(PgKeywordIndex(keyword_pool), {"s1": "someone else"}, user="u2")
    with keyword_pool.connection() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # on a table this small a scan is cheaper than the indexes

        @contextmanager
        def lend():
            yield conn

        index = PgKeywordIndex(type("OneConnection", (), {"connection": staticmethod(lend)})())
        read = (f"SELECT sum(pg_stat_get_xact_tuples_returned(oid)) FROM pg_class WHERE oid = "  # the table's rows
                f"'{schema.KEYWORDS}'::regclass OR oid IN (SELECT indexrelid FROM pg_index "  # and its index entries
                f"WHERE indrelid = '{schema.KEYWORDS}'::regclass)")
        before = conn.execute(read).fetchone()[0]
        assert (index.count({"user_id": "u1"}), index.count({"user_id": "u2"}), index.count()) == (60, 1, 61)
        kept = conn.execute(read).fetchone()[0] - before
        assert conn.execute(f"SELECT count(*) FROM {schema.KEYWORDS} WHERE user_id = 'u1'").fetchone()[0] == 60
        counted = conn.execute(read).fetchone()[0] - before - kept
    assert kept == 0 and counted >= 60  # what a count of the scope's rows read


def test_scope_counts_of_a_table_made_before_them_start_from_its_rows(keyword_pool):
    index = PgKeywordIndex(keyword_pool)
    fill(index)
    index.upsert("x", "other scope", user_id="u2", agent_id="a1")
    with keyword_pool.connection() as conn:
        for name in ("added", "removed", "moved"):
            conn.execute(f"DROP TRIGGER {schema.SCOPE_STATS}_{name} ON {schema.KEYWORDS}")
        conn.execute(f"DROP TABLE {schema.SCOPE_STATS}")
        conn.commit()
        conn.autocommit = True
        schema.ensure(conn, "memories", 384)
        schema.ensure(conn, "memories", 384)  # a second daemon's start changes nothing
        conn.autocommit = False
    index.upsert("y", "one more", user_id="u2")
    assert (index.count({"user_id": "u1"}), index.count({"user_id": "u2"}),
            index.count({"user_id": "u2", "agent_id": "a1"})) == (len(CORPUS), 2, 1)


def test_scope_counts_are_folded_and_stay_exact(keyword_pool, monkeypatch):
    from sidecar.store.pg import scope_stats

    monkeypatch.setattr(scope_stats, "FOLD_AFTER", 3)
    index = PgKeywordIndex(keyword_pool)
    for n in range(6):
        index.upsert(f"m{n}", f"memory {n}", user_id=f"u{n % 2}")
    index.delete("m0")
    assert index.count({"user_id": "u0"}) == 2  # seven stats rows: this count folds them
    with keyword_pool.connection() as conn:
        parts = conn.execute(f"SELECT count(*) FROM {schema.SCOPE_STATS}").fetchone()[0]
    assert parts == 2 and (index.count({"user_id": "u0"}), index.count({"user_id": "u1"})) == (2, 3)


def test_a_search_whose_candidates_are_few_in_the_table_runs_one_generic_plan_and_leaves_the_setting(
        keyword_pool, pg_dsn):
    from sidecar.store.pg.connection import open_pool

    fill(PgKeywordIndex(keyword_pool))
    fill(PgKeywordIndex(keyword_pool), {"o0": "zanzibar coffee", "o1": "zanzibar coffee again",
                                        **{f"o{n}": f"tea for other {n}" for n in range(2, 8)}}, user="u2")
    pool = open_pool(pg_dsn, max_size=1)  # one connection: its prepared statements can be read
    try:
        index = PgKeywordIndex(pool)
        index.budget, index.exact_scope = 6, 3  # both scopes are over the budget; zanzibar's 3 rows fit it
        expected = {"u1": ["b"], "u2": ["o0", "o1"]}
        for _ in range(4):  # one prepared plan serves both scopes, each with its own rows
            for user, ids in expected.items():
                assert sorted(m for m, _ in index.search("zanzibar coffee", filters={"user_id": user})) == ids
        with pool.connection() as conn:
            assert conn.execute("SHOW plan_cache_mode").fetchone()[0] == "auto"  # the search's setting ended with it
            plans = conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                 "WHERE statement LIKE '%AS relevance%'").fetchall()
    finally:
        pool.close()
    assert plans == [(8, 0)]


def test_the_term_frequency_is_ts_rank_cds_for_every_count_of_text_and_context_positions(keyword_pool):
    from sidecar.store.pg import keyword

    with keyword_pool.connection() as conn:
        rows = conn.execute(f"""SELECT count(*), count(*) FILTER (WHERE {keyword.TERM_FREQUENCY} = cd), max(cd)
            FROM (SELECT tsv, term, ts_rank_cd('{{1, 0, 0, 1}}', tsv, term, 0) AS cd FROM
                  (SELECT setweight(to_tsvector('english', repeat('zebra cat ', a)), 'A')
                          || setweight(to_tsvector('english', repeat('dog zebra ', d)), 'D') AS tsv,
                          'zebra'::tsquery AS term
                   FROM generate_series(0, 300) AS a, generate_series(0, 12) AS d WHERE a + d > 0) AS x) AS c,
                 LATERAL (SELECT c.term) AS q""").fetchone()
    assert rows[0] == rows[1] == 301 * 13 - 1 and rows[2] == 256  # a tsvector keeps 256 positions of a lexeme


def test_scope_counts_of_many_scopes_are_not_folded_again_until_their_rows_double(keyword_pool, monkeypatch):
    from sidecar.store.pg import scope_stats

    monkeypatch.setattr(scope_stats, "FOLD_AFTER", 3)
    index = PgKeywordIndex(keyword_pool)
    with index.batch():
        for n in range(8):
            index.upsert(f"m{n}", f"memory {n}", user_id=f"u{n}")  # one statement, one stats row, per scope

    def parts() -> list[str]:
        """Where each stats row is stored: a fold rewrites them."""
        with keyword_pool.connection() as conn:
            return [row[0] for row in conn.execute(f"SELECT ctid::text FROM {schema.SCOPE_STATS} ORDER BY 1")]

    written = parts()
    assert index.count({"user_id": "u3"}) == 1 and parts() == written  # eight scopes, eight rows: no fold
    for n in range(8):
        index.upsert(f"x{n}", f"more {n}", user_id=f"u{n}")
    assert index.count({"user_id": "u3"}) == 2 and len(parts()) == 8  # sixteen rows of eight scopes: folded
