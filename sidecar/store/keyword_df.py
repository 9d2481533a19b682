"""Document frequencies of the keyword index's terms, kept in ``keyword_df`` beside FTS5.

Planning a search (:mod:`sidecar.store.keyword_topk`) needs how many rows hold each query
term; counting them walks each term's whole doclist, ~1 ms a search at 100k memories. So
every write adjusts ``keyword_df`` in the write's own transaction (a crash leaves both or
neither): the distinct terms of the row's old and new text, as FTS5's tokenizer makes them
(a contentless scratch FTS5 table with the same tokenizer, in each connection's temp schema),
are subtracted and added. A row's terms are those of both columns: FTS5 counts a row once
for a term in either.

The table is derived data: it is rebuilt from FTS5's own vocabulary (``fts5vocab``) when it
is made, when the tokenizer changes, after a large scope delete, and when the check at open
finds any term's count different from FTS5's (like :mod:`sidecar.store.keyword_sync` for the
rows: the whole table compared, ~0.15 s at 100k memories).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, MutableMapping, Sequence

log = logging.getLogger("sidecar.store.keyword")

SCHEMA = "CREATE TABLE IF NOT EXISTS keyword_df (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
REBUILD_ABOVE = 500  # a scope delete of more rows recounts every term instead of tokenizing each row
WORD_CACHE_LIMIT = 50_000  # query words whose tokens are remembered (the tokenizer never changes them)

_SCRATCH, _SCRATCH_TERMS, _VOCAB = "keyword_scratch", "keyword_scratch_terms", "keyword_vocab"
_PLAIN_PHRASE = re.compile(r'^"(\w+)"$')


def attach(conn: sqlite3.Connection, tokenizer: str) -> None:
    """The connection's temp tables: the scratch tokenizer table and views of both vocabularies."""
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_SCRATCH} USING fts5(body, content='', "
                 f"tokenize='{tokenizer}')")
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_SCRATCH_TERMS} USING fts5vocab({_SCRATCH}, 'instance')")
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_VOCAB} USING fts5vocab(main, keyword_fts, 'row')")


def tokens_of(conn: sqlite3.Connection, texts: Sequence[str]) -> list[list[str]]:
    """Each text's tokens, in order, as the index's tokenizer makes them (needs :func:`attach`)."""
    if not texts:
        return []
    conn.executemany(f"INSERT INTO temp.{_SCRATCH}(rowid, body) VALUES(?, ?)",
                     [(n + 1, text) for n, text in enumerate(texts)])
    try:
        rows = conn.execute(f"SELECT doc, offset, term FROM temp.{_SCRATCH_TERMS} ORDER BY doc, offset").fetchall()
    finally:
        conn.execute(f"INSERT INTO temp.{_SCRATCH}({_SCRATCH}) VALUES('delete-all')")
    out: list[list[str]] = [[] for _ in texts]
    for doc, _, term in rows:
        out[doc - 1].append(term)
    return out


def document(text: str, context: str | None) -> str:
    """One string holding a row's two columns (the line break keeps their edge words apart)."""
    return f"{text}\n{context or ''}"


def documents(conn: sqlite3.Connection, where: str, params: Sequence) -> list[str]:
    """The documents of the FTS rows ``where`` selects (over ``keyword_fts``), for :func:`replace`."""
    rows = conn.execute(f"SELECT text, context FROM keyword_fts WHERE {where}", params).fetchall()
    return [document(text or "", context) for text, context in rows]


def replace(conn: sqlite3.Connection, before: Iterable[str], after: Iterable[str]) -> None:
    """Inside a write transaction: rows whose documents were ``before`` became ``after`` (either may be empty)."""
    delta: Counter[str] = Counter()
    for tokens in tokens_of(conn, list(before)):
        delta.subtract(set(tokens))
    for tokens in tokens_of(conn, list(after)):
        delta.update(set(tokens))
    changes = [(term, n) for term, n in delta.items() if n]
    if not changes:
        return
    conn.executemany("INSERT INTO keyword_df(term, docs) VALUES(?, ?) "
                     "ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs", changes)
    gone = [(term,) for term, n in changes if n < 0]
    if gone:
        conn.executemany("DELETE FROM keyword_df WHERE term = ? AND docs <= 0", gone)


def rebuild(conn: sqlite3.Connection) -> int:
    """Inside a write transaction: recount every term from FTS5's vocabulary; returns how many terms there are."""
    conn.execute("DELETE FROM keyword_df")
    return conn.execute(f"INSERT INTO keyword_df(term, docs) SELECT term, doc FROM temp.{_VOCAB} "
                        "WHERE doc > 0").rowcount


def mismatches(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """``{term: (kept count, FTS5's count)}`` for every term where they differ."""
    kept = dict(conn.execute("SELECT term, docs FROM keyword_df").fetchall())
    actual = {term: docs for term, docs in conn.execute(f"SELECT term, doc FROM temp.{_VOCAB}") if docs}
    return {t: (kept.get(t, 0), actual.get(t, 0)) for t in kept.keys() | actual.keys()
            if kept.get(t, 0) != actual.get(t, 0)}


def check(conn: sqlite3.Connection) -> bool:
    """At open: compare every kept count with FTS5's; rebuild (and log) if any differ. Returns whether it did.

    Writes keep the table exact in their own transaction, so this only catches a file changed
    by something else.
    """
    wrong = mismatches(conn)
    if not wrong:
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        counted = rebuild(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    log.warning("keyword document frequencies out of step with the index (%d terms differ): recounted %d terms",
                len(wrong), counted)
    return True


def phrase_frequencies(conn: sqlite3.Connection, phrases: Sequence[str],
                       words: MutableMapping[str, tuple[str, ...]]) -> list[int]:
    """How many rows each FTS5 phrase matches: from ``keyword_df`` for a one-word phrase that is one token,
    else counted (a prefix phrase, a word the tokenizer splits). ``words`` caches each word's tokens."""
    plain = {p: m.group(1) for p in phrases if (m := _PLAIN_PHRASE.match(p))}
    known = {w: words.get(w) for w in plain.values()}
    unknown = [w for w, tokens in known.items() if tokens is None]
    if unknown:
        if len(words) + len(unknown) > WORD_CACHE_LIMIT:
            words.clear()
        for word, tokens in zip(unknown, tokens_of(conn, unknown)):
            known[word] = words[word] = tuple(tokens)
    term_of = {p: known[w][0] for p, w in plain.items() if len(known[w] or ()) == 1}
    wanted = sorted(set(term_of.values()))
    kept: dict[str, int] = {}
    if wanted:
        marks = ",".join("?" * len(wanted))
        kept = dict(conn.execute(f"SELECT term, docs FROM keyword_df WHERE term IN ({marks})", wanted).fetchall())
    return [kept.get(term_of[p], 0) if p in term_of else
            conn.execute("SELECT count(*) FROM keyword_fts WHERE keyword_fts MATCH ?", (p,)).fetchone()[0]
            for p in phrases]
