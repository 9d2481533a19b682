"""PostgreSQL + pgvector stores for bench/scale.py, built from the cached Chroma stores' vectors, and cached too.

Embedding 100k texts again through a daemon costs tens of CPU-minutes, and the
Chroma snapshot of the same size (bench/scale_store.py) already holds every
memory's id, vector, mem0 payload, keyword row and mem0 history row. So a
pgvector store of a size is copied from it through the product's own write path,
in one process with the daemon's code on a ``pgvector`` config:

* vectors and payloads: mem0's pgvector ``insert`` with the cached vectors (the HNSW index
  dropped first and made again at the end by the backend's own DDL, ``schema.ensure``: one
  build is many times faster than 100k inserts into the graph), then
  the history rows through the backend's history (``Mem0Adapter._apply``, what
  ``add(infer=False)`` and ``memctl migrate`` call; migrate embeds again, this
  does not), in pages of :data:`PAGE`, in the order the memories were added;
* keyword rows: ``HybridIndex.added`` per memory in one batch per page (what
  ``memctl migrate`` does), so text, context (the date), scope and write order are
  the product's own;
* the daemon's local data (MEMORY.md files, provenance, request log) is the Chroma
  snapshot's, without its ``store/`` folder;
* then the keyword statistics' per-write rows are folded into one (what a daemon's searches do
  every :data:`~sidecar.store.pg.keyword.FOLD_AFTER` writes; a copy makes 100k of them without a
  search) and ``VACUUM ANALYZE`` (autovacuum would do the same within a minute of a fill).
  A snapshot made before the fold is folded on each run's copy (:func:`settle_stats`).

A run's server gets ``shared_buffers`` = :data:`SHARED_BUFFERS` (pgserver's default is 128 MB).

The snapshot ``pgvector-<corpus key>-<size>`` holds ``pgdata/`` (the stopped
server's data folder), ``data/`` (the daemon's data folder) and ``build.json``. A
run copies both into a temp folder and starts a server and a daemon there, so the
cache is never written by a measured daemon.

Usage: python bench/scale_store_pg.py [--sizes 1000 10000 100000]  (fills the cache ahead of a run)
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_store import KEY_TEXTS, corpus_key, daemon_on, filled_snapshot, snapshot_dir  # noqa: E402

from sidecar.testing.daemons import DaemonProcess, short_home  # noqa: E402

BACKEND = "pgvector"
DATABASE = "scale"
PAGE = 1000
# A server sized for the store, as pgvector advises (the HNSW index in memory): at 100k memories the
# index is 195 MB and the table 200 MB; with pgserver's default 128 MB a query on a fresh server read
# 200-900 index pages from the OS cache (EXPLAIN). PostgreSQL's CPU per search through the daemon
# was about the same either way (13.0 vs 13.5 ms at 100k, 2026-11-30), so this is sizing, not the fix.
SHARED_BUFFERS = "512MB"
COLLECTION = "memories"  # the Chroma collection mem0 writes (mem0's default collection name)


def config_for(dsn: str) -> str:
    from sidecar.testing.pg_server import pgvector_config

    return pgvector_config(dsn)


def pg_snapshot(texts: list[str], size: int, *, log: Callable[[str], None] = print) -> tuple[Path, dict | None]:
    """The pgvector snapshot holding ``texts[:size]`` (copied from the Chroma one if missing) and the build figures
    if it was made now."""
    target = snapshot_dir(BACKEND, corpus_key(texts), size)
    if target.is_dir():
        return target, None
    chroma, _ = filled_snapshot(texts, size, log=log)
    log(f"copying {chroma.name} into PostgreSQL (cached at {target})")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    build = build_from_chroma(chroma, partial)
    (partial / "build.json").write_text(json.dumps(build, indent=2) + "\n", encoding="utf-8")
    partial.rename(target)
    return target, build


def build_from_chroma(chroma: Path, out: Path) -> dict[str, Any]:
    """Fill ``out/pgdata`` and ``out/data`` from the Chroma snapshot ``chroma`` (see the module docstring)."""
    from sidecar.testing.pg_server import start_pg_server

    started = time.monotonic()
    server = start_pg_server(out / "pgdata")
    home = short_home("sclpg-")
    try:
        import psycopg

        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        dsn = server.dsn_of(DATABASE)
        shutil.copytree(chroma, home / "data", symlinks=True,
                        ignore=lambda folder, names: [n for n in names if Path(folder) == chroma
                                                      and n in ("store", "daemon.lock")])
        (home / "config").mkdir()
        (home / "config" / "config.toml").write_text(config_for(dsn), encoding="utf-8")
        env = {**os.environ, "SIDECAR_HOME": str(home), "HOME": str(home)}
        done = subprocess.run([sys.executable, __file__, "--copy-from", str(chroma)], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the copy into PostgreSQL failed ({done.returncode}):\n{done.stderr[-3000:]}")
        copied = json.loads(done.stdout.strip().splitlines()[-1])
        settle_stats(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        shutil.copytree(home / "data", out / "data", symlinks=True)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return {**copied, "built_s": round(time.monotonic() - started, 1), "from": chroma.name,
            "how": "bench/scale_store_pg.py: mem0 pgvector insert of the cached vectors, history and keyword rows "
                   "through the daemon's code, in add order; HNSW index built once at the end by the backend's "
                   "DDL; then VACUUM ANALYZE"}


def settle_stats(dsn: str) -> None:
    """Fold the keyword statistics' per-write rows into one and vacuum their table.

    A bulk copy writes one stats row per memory and no search folds them, so the first
    search of a run folded 100k rows and the searches of the next minute, until autovacuum
    came, summed a table of 542 pages of dead rows (2 ms at first): a measured run would
    pay for the copy's shape, which a store in use never has. The table is then rewritten: the folded row
    sits on its last page, so a plain VACUUM could not shorten it and every search summed 536 empty pages
    (0.5 ms of server CPU at 100k, 2026-11-30); in a store in use later folds reuse the freed space.
    """
    import psycopg

    from sidecar.store.pg.schema import FOLD_STATS, KEYWORD_STATS

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(FOLD_STATS)
        conn.execute(f"VACUUM FULL {KEYWORD_STATS}")


def copy_pgdata(source: Path, target: Path) -> None:
    """A copy of a stopped server's data folder with its owner and modes (run as root, pgserver runs
    PostgreSQL as its own user, which must own the folder)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


@contextmanager
def pg_daemon_on(snapshot: Path, shared_buffers: str | None = SHARED_BUFFERS) -> Iterator[tuple[DaemonProcess, Any]]:
    """A server on a copy of the snapshot's ``pgdata`` and a daemon on a copy of its ``data``; removed afterwards.

    The server gets ``shared_buffers`` (None: pgserver's default, 128 MB): see :data:`SHARED_BUFFERS`.
    """
    from sidecar.testing.pg_server import start_pg_server

    work = Path(tempfile.mkdtemp(prefix="sclpg-"))
    copy_pgdata(snapshot / "pgdata", work / "pgdata")
    if shared_buffers:
        with (work / "pgdata" / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"shared_buffers = '{shared_buffers}'\n")
    server = start_pg_server(work / "pgdata")
    try:
        settle_stats(server.dsn_of(DATABASE))
        with daemon_on(snapshot / "data", config_for(server.dsn_of(DATABASE))) as daemon:
            yield daemon, server
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


# -- the copy, in its own process (mem0 and Chroma imported after the telemetry opt-outs) ----------


def added_order(keyword_db: Path) -> list[str]:
    """Memory ids in the order the Chroma store's daemon added them (its keyword index's write order)."""
    with sqlite3.connect(f"file:{keyword_db}?mode=ro", uri=True) as conn:
        return [row[0] for row in conn.execute("SELECT memory_id FROM keyword_rows ORDER BY touched, rowid")]


def history_rows(history_db: Path) -> dict[str, list[dict[str, Any]]]:
    """mem0's SQLite history rows by memory id, oldest first."""
    columns = ("memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at", "is_deleted",
               "actor_id", "role")
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with sqlite3.connect(f"file:{history_db}?mode=ro", uri=True) as conn:
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM history ORDER BY created_at, rowid"):
            record = dict(zip(columns, row))
            found[record["memory_id"]].append(record)
    return found


def copy_from_chroma(chroma: Path) -> dict[str, Any]:
    """Write every memory of the Chroma snapshot into the store the environment's config names (pgvector)."""
    from sidecar.config.settings import load_settings
    from sidecar.process import offline

    settings = load_settings()
    offline.apply(mem0_dir=settings.paths.data_dir / "mem0")
    import chromadb

    from sidecar.store.chroma_rows import StoredRow
    from sidecar.store.mem0_holding import HeldWrites
    from sidecar.store.memory_store import MemoryStore
    from sidecar.store.pg import schema

    order = added_order(chroma / "store" / "keyword.db")
    history = history_rows(chroma / "store" / "history.db")
    scratch = Path(tempfile.mkdtemp(prefix="sclpg-chroma-"))
    shutil.copytree(chroma / "store" / "chroma", scratch / "chroma")  # Chroma may write on open
    started = time.monotonic()
    store = MemoryStore(settings)
    try:
        mem0 = store._loaded()
        table = store.backend.table
        index = f"{table}_hnsw_idx"
        with store.backend.pool.connection() as conn:  # built once at the end: much faster than row by row
            conn.execute(f'DROP INDEX "{index}"')
        collection = chromadb.PersistentClient(path=str(scratch / "chroma"),
                                               settings=chromadb.Settings(anonymized_telemetry=False)) \
            .get_collection(COLLECTION)
        copied = history_copied = 0
        vectors_s = keywords_s = 0.0
        for start in range(0, len(order), PAGE):
            ids = order[start:start + PAGE]
            got = collection.get(ids=ids, include=["embeddings", "metadatas"])
            found = {i: (e, m) for i, e, m in zip(got["ids"], got["embeddings"], got["metadatas"])}
            ids = [i for i in ids if i in found]
            rows = [StoredRow(i, dict(found[i][1])) for i in ids]
            records = [h for i in ids for h in history.get(i, [])]
            at = time.monotonic()
            mem0._apply(HeldWrites([[float(x) for x in found[i][0]] for i in ids], [r.payload for r in rows],
                                   ids, records))
            vectors_s += time.monotonic() - at
            at = time.monotonic()
            with store.hybrid.keyword.batch():
                for row in rows:
                    store.hybrid.added(row.id, row.text, row.scope, row.metadata, row.created_at)
            keywords_s += time.monotonic() - at
            copied += len(ids)
            history_copied += len(records)
        at = time.monotonic()
        with store.backend.pool.connection() as conn:
            conn.autocommit = True
            conn.execute("SET maintenance_work_mem = '1GB'")
            schema.ensure(conn, table, store.choice.dims)  # the product's own DDL makes the index again
            conn.autocommit = False
        index_s = time.monotonic() - at
        return {"memories": copied, "history_rows": history_copied, "in_order": len(order),
                "copy_s": round(time.monotonic() - started, 1), "vectors_and_history_s": round(vectors_s, 1),
                "keywords_s": round(keywords_s, 1), "hnsw_index_s": round(index_s, 1)}
    finally:
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Fill the cached pgvector stores bench/scale.py measures.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--copy-from", type=Path, help=argparse.SUPPRESS)  # the copy's own process
    options = parser.parse_args(argv)
    if options.copy_from:
        print(json.dumps(copy_from_chroma(options.copy_from)), flush=True)
        return 0
    from realistic import scale_texts

    texts = scale_texts(max(*options.sizes, KEY_TEXTS))
    for size in sorted(options.sizes):
        print(size, *pg_snapshot(texts, size), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
