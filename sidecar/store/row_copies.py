"""A copy of each memory's stored payload in a SQLite file of the daemon's own, read by search.

Every call into Chroma goes through its frontend and its own worker threads: reading the
5-10 rows a search returns cost ~0.9 ms of CPU at 10k memories whatever their number
(0.5 ms with nothing included), a tenth of a whole search. The same rows read here by
primary key cost ~0.1 ms (2026-12-01, 2 shared cores, quiet machine; docs/benchmarks.md).

The copy is derived data, never the truth, and answers only what it is sure of:

* it is trusted once it has been compared with the store at start (:meth:`RowCopies.synced`,
  fed by the scan that checks the keyword index); until then every read goes to Chroma;
* each write into the collection (add, update, upsert, delete) forgets the rows it names,
  before and after the call (:class:`WatchedCollection`); a row is copied again when a read next
  takes it from Chroma, unless a write happened since that read began (a generation count);
* a damaged file is set aside and a new one filled from the store.

Freed pages are zeroed (``secure_delete``): a deleted or scrubbed memory leaves no text behind.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sidecar.sqlite_files import check_readable, open_shared, set_aside
from sidecar.store.chroma_rows import StoredRow

log = logging.getLogger("sidecar.store.row_copies")

T = TypeVar("T")

FILE_NAME = "rows.db"
WRITES = frozenset({"add", "update", "upsert", "delete"})  # the collection calls that change rows
SYNC_CHUNK = 500  # rows compared (and rewritten) at once while the copy is brought in step at start

_SCHEMA = """
CREATE TABLE IF NOT EXISTS row_copies (
    memory_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL
) WITHOUT ROWID;
"""


def payload_text(payload: Any) -> str:
    """A payload as stored here: JSON with sorted keys (the same payload always gives the same text)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class RowCopies:
    """The copies in ``path`` (thread-safe: one connection under a lock; every statement is short)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._generation = 0
        self.trusted = False
        self.hits = 0  # rows answered from the copy
        self.misses = 0  # rows read from the store instead
        self.broken = False  # the file failed: the copies are not used again by this process
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            try:
                db = open_shared(self.path, _SCHEMA)
                check_readable(db)
            except sqlite3.DatabaseError as exc:
                set_aside(self.path, str(exc))
                db = open_shared(self.path, _SCHEMA)
            db.row_factory = None
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")
            return db
        except (OSError, sqlite3.Error) as exc:  # derived data: the daemon starts without it
            log.warning("row copies in %s unavailable (%s); search reads rows from the store", self.path,
                        " ".join(str(exc).split()))
            self.broken = True
            return sqlite3.connect(":memory:", check_same_thread=False)

    def _locked(self, work: Callable[[sqlite3.Connection], T], default: T) -> T:
        """``work(connection)`` under the lock; a file that fails (full disk, I/O error) stops the copies for
        this process (``default`` from then on, every read from the store) instead of failing a search or a
        write of the store."""
        with self._lock:
            if self.broken:
                return default
            try:
                return work(self._db)
            except sqlite3.Error as exc:
                self.broken = True
                self.trusted = False
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                log.warning("row copies in %s stopped (%s); search reads rows from the store until the next "
                            "start", self.path, " ".join(str(exc).split()))
                return default

    def status(self) -> dict[str, Any]:
        """``state`` (``on``: trusted; ``untrusted``: not compared with the store yet, or a write came during
        that comparison, which lasts until the next start; ``off``: the file failed) and the rows answered
        from the copy (``hits``) or read from the store (``misses``) since the start."""
        state = "off" if self.broken else "on" if self.trusted else "untrusted"
        return {"state": state, "hits": self.hits, "misses": self.misses}

    # -- reads ------------------------------------------------------------------

    def rows_through(self, ids: Sequence[str], read: Callable[[Sequence[str]], list[StoredRow]]) -> list[StoredRow]:
        """The rows of ``ids`` in that order (unknown ids left out): copied ones from here, the rest by
        ``read`` (the store), which are then copied unless a write came in meanwhile."""
        ids = list(ids)
        copied = self.payloads(ids)
        missing = list(dict.fromkeys(memory_id for memory_id in ids if memory_id not in copied))
        self.hits += len(copied)
        if not missing:
            return [StoredRow(memory_id, copied[memory_id]) for memory_id in ids]
        self.misses += len(missing)
        since = self._generation
        found = {row.id: row for row in read(missing)}
        self._keep(found.values(), since)
        rows = []
        for memory_id in ids:
            if memory_id in copied:
                rows.append(StoredRow(memory_id, copied[memory_id]))
            elif memory_id in found:
                rows.append(found[memory_id])
        return rows

    def payloads(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{id: payload}`` of the copied rows among ``ids`` (none before the copy is trusted)."""
        if not self.trusted or not ids:
            return {}
        def read(db: sqlite3.Connection) -> dict[str, str]:
            if not self.trusted:  # forgotten by a failure while this read waited for the lock
                return {}
            return _held(db, ids)

        return {memory_id: json.loads(text) for memory_id, text in self._locked(read, {}).items()}

    # -- keeping in step ------------------------------------------------------------

    def forget(self, ids: Sequence[str] | None) -> None:
        """Drop the copies of ``ids`` (all of them for None): the store is about to change, or just did."""
        def drop(db: sqlite3.Connection) -> None:
            if ids is None:
                db.execute("DELETE FROM row_copies")
            else:
                _delete(db, [str(i) for i in ids])

        with self._lock:
            self._generation += 1  # also when the file has failed: a read under way must not copy its rows
        self._locked(drop, None)

    def _keep(self, rows: Iterable[StoredRow], since: int) -> None:
        values = _texts(rows)

        def keep(db: sqlite3.Connection) -> None:
            if self.trusted and since == self._generation and values:
                _write(db, list(values.items()))

        self._locked(keep, None)

    def synced(self, rows: Iterable[StoredRow]) -> Iterator[StoredRow]:
        """``rows`` (every row of the store) passed through; once all have been seen, the copy holds exactly
        them and is trusted. Each row's copy is compared as text (a copy altered on disk is rewritten too);
        a write meanwhile leaves the copy untrusted (reads keep going to the store)."""
        since = self._generation
        held: set[str] = self._locked(lambda db: {r[0] for r in db.execute("SELECT memory_id FROM row_copies")},
                                      set())
        seen: set[str] = set()
        chunk: list[StoredRow] = []
        rewritten = 0
        for row in rows:
            seen.add(row.id)
            chunk.append(row)
            if len(chunk) >= SYNC_CHUNK:
                rewritten += self._rewrite_differing(chunk)
                yield from chunk
                chunk = []
        rewritten += self._rewrite_differing(chunk)
        yield from chunk
        extra = list(held - seen)

        def finish(db: sqlite3.Connection) -> None:
            _delete(db, extra)
            self.trusted = since == self._generation

        self._locked(finish, None)
        if rewritten or extra:
            log.info("row copies brought in step with the store: %d written, %d removed", rewritten, len(extra))

    def _rewrite_differing(self, rows: list[StoredRow]) -> int:
        texts = _texts(rows)
        if not texts:
            return 0

        def rewrite(db: sqlite3.Connection) -> int:
            held = _held(db, list(texts))
            differing = [(memory_id, text) for memory_id, text in texts.items() if held.get(memory_id) != text]
            if differing:
                _write(db, differing)
            return len(differing)

        return self._locked(rewrite, 0)

    def compact(self) -> None:
        """Empty the write-ahead log into the file, so the zeroed pages of forgotten rows are all that is left."""
        self._locked(lambda db: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"), None)

    def close(self) -> None:
        with self._lock:
            self.trusted = False
            self.broken = True
            self._db.close()


def _texts(rows: Iterable[StoredRow]) -> dict[str, str]:
    """``{id: payload text}``; a payload JSON cannot hold is left out (that row is always read from the store)."""
    out = {}
    for row in rows:
        try:
            out[row.id] = payload_text(dict(row.payload))
        except (TypeError, ValueError):
            continue
    return out


def _held(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """``{id: payload text}`` of the copies among ``ids``."""
    marks = ",".join("?" * len(ids))
    return dict(db.execute(f"SELECT memory_id, payload FROM row_copies WHERE memory_id IN ({marks})",
                           list(ids)).fetchall())


def _write(db: sqlite3.Connection, values: list[tuple[str, str]]) -> None:
    db.execute("BEGIN")
    db.executemany("INSERT OR REPLACE INTO row_copies(memory_id, payload) VALUES (?, ?)", values)
    db.execute("COMMIT")


def _delete(db: sqlite3.Connection, ids: list[str]) -> None:
    if ids:
        db.execute("BEGIN")
        db.executemany("DELETE FROM row_copies WHERE memory_id = ?", [(memory_id,) for memory_id in ids])
        db.execute("COMMIT")


class WatchedCollection:
    """``collection`` whose :data:`WRITES` forget the copies of the rows they name, before and after."""

    def __init__(self, collection: Any, copies: RowCopies) -> None:
        self._collection = collection
        self._copies = copies

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in WRITES or not callable(attribute):
            return attribute

        def watched(*args: Any, **kwargs: Any) -> Any:
            ids = named_ids(args, kwargs)
            self._copies.forget(ids)
            try:
                return attribute(*args, **kwargs)
            finally:
                self._copies.forget(ids)

        return watched


def named_ids(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str] | None:
    """The ids a collection write names (its first argument or ``ids=``); None when it names none (a delete
    by ``where`` may touch any row)."""
    ids = kwargs.get("ids", args[0] if args else None)
    if ids is None:
        return None
    return [ids] if isinstance(ids, str) else [str(i) for i in ids]

