"""Rewriting old texts inside SQLite files for the secret scrub: mem0's history and Chroma's log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sidecar.store import chroma_log
from sidecar.store.history_texts import rewrite_texts

SECRET = "Banane!77xq"


def hide(text: str) -> str:
    return text.replace(SECRET, "[REDACTED:password]")


def history_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE history (id TEXT PRIMARY KEY, memory_id TEXT, old_memory TEXT, new_memory TEXT, "
                 "event TEXT)")
    conn.execute("CREATE TABLE messages (id TEXT PRIMARY KEY, content TEXT)")
    rows = [("h1", "m1", None, f"pw {SECRET}", "ADD"), ("h2", "m1", f"pw {SECRET}", "pw changed", "UPDATE"),
            ("h3", "m2", None, "I like tea", "ADD"), ("h4", "m3", f"old {SECRET}", None, "DELETE")]
    conn.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO messages VALUES ('x', ?)", (f"user said {SECRET}",))
    return conn


def test_history_rewrite_reaches_old_new_and_deleted_texts_and_leaves_no_bytes(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    conn = history_db(path)
    assert rewrite_texts(conn, hide, dry_run=True) == 4 and SECRET.encode() in path.read_bytes()
    assert rewrite_texts(conn, hide) == 4
    texts = conn.execute("SELECT old_memory, new_memory FROM history ORDER BY id").fetchall()
    assert texts == [(None, "pw [REDACTED:password]"), ("pw [REDACTED:password]", "pw changed"),
                     (None, "I like tea"), ("old [REDACTED:password]", None)]
    assert conn.execute("SELECT content FROM messages").fetchone() == ("user said [REDACTED:password]",)
    conn.close()
    assert SECRET.encode() not in path.read_bytes()
    assert rewrite_texts(sqlite3.connect(path), hide) == 0


def chroma_db(folder: Path) -> Path:
    folder.mkdir()
    path = folder / chroma_log.DATABASE
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE embeddings_queue (seq_id INTEGER PRIMARY KEY, id TEXT, metadata TEXT)")
        for seq, text in enumerate([f"pw {SECRET}", "I like tea"], start=1):
            conn.execute("INSERT INTO embeddings_queue VALUES (?, ?, ?)",
                         (seq, f"m{seq}", json.dumps({"data": text, "text_lemmatized": text, "n": seq})))
        conn.execute("INSERT INTO embeddings_queue VALUES (3, 'm3', NULL)")
    return path


def test_chroma_log_is_rewritten_only_when_a_scrub_asked_for_it(tmp_path: Path) -> None:
    store, chroma = tmp_path / "store", tmp_path / "store" / "chroma"
    store.mkdir()
    path = chroma_db(chroma)
    assert chroma_log.scrub_if_requested(store, chroma, hide) is None  # nobody asked: untouched
    assert SECRET.encode() in path.read_bytes()

    chroma_log.request(store, "test")
    assert chroma_log.requested(store)
    assert chroma_log.scrub_if_requested(store, chroma, hide) == 1
    assert not chroma_log.requested(store) and SECRET.encode() not in path.read_bytes()
    with sqlite3.connect(path) as conn:
        entries = [json.loads(m) if m else None for (m,) in conn.execute("SELECT metadata FROM embeddings_queue")]
    assert entries[0] == {"data": "pw [REDACTED:password]", "text_lemmatized": "pw [REDACTED:password]", "n": 1}
    assert entries[1]["data"] == "I like tea" and entries[2] is None


def test_a_failed_log_scrub_keeps_the_request_for_the_next_start(tmp_path: Path) -> None:
    store, chroma = tmp_path / "store", tmp_path / "store" / "chroma"
    store.mkdir()
    chroma.mkdir()
    (chroma / chroma_log.DATABASE).write_bytes(b"this is not a database" * 100)
    chroma_log.request(store, "test")
    assert chroma_log.scrub_if_requested(store, chroma, hide) is None and chroma_log.requested(store)
