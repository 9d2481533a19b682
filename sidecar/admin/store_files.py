"""Where the daemon keeps what it knows: the files ``memctl status`` lists and README.md explains.

Everything lives under the data folder; deleting that folder (daemon stopped)
forgets everything. Only files that exist are listed (a Postgres store, for
example, has no Chroma files).
"""

from __future__ import annotations

from pathlib import Path

# (name, path relative to the data folder or, with "store:", to the store folder, what it holds)
LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("chroma", "store:chroma/chroma.sqlite3", "Chroma's SQLite: memories' text and metadata (tables embeddings, "
                                              "embedding_metadata, collections)"),
    ("vectors", "store:chroma", "Chroma's folder: one sub-folder per collection holds the HNSW vector index"),
    ("history", "store:history.db", "mem0's history: every ADD / UPDATE / DELETE with old and new text"),
    ("keyword", "store:keyword.db", "the keyword (FTS5) index of hybrid search, rebuilt from the store if lost"),
    ("rows", "store:rows.db", "a copy of each memory's stored fields, which search reads; checked against the "
                              "store at every start"),
    ("queue", "ingest/queue.db", "transcript cursors and the write gate's job queue (and dead letter)"),
    ("provenance", "ingest/provenance.db", "why each learned memory exists: source file and line, verdict"),
    ("review", "ingest/review.db", "facts waiting for `memctl review`"),
    ("sessions", "sessions", "session turns and summaries, one JSON file per user and session"),
    ("memory_md", "memory", "the MEMORY.md files, one folder per user"),
)


def store_files(data_dir: Path, store_dir: Path) -> dict[str, str]:
    """``{name: path}`` of the layout's files that exist, with ``data`` (the folder holding them all) first."""
    found = {"data": str(data_dir)}
    for name, relative, _ in LAYOUT:
        path = store_dir / relative[len("store:"):] if relative.startswith("store:") else data_dir / relative
        if path.exists():
            found[name] = str(path)
    return found
