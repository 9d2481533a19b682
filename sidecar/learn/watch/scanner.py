"""One transcript file to queued jobs: tail, parse, select, redact, commit.

Each chunk the parser consumes is committed with the file's new cursor in one
queue transaction. Text is redacted here, before it is stored anywhere.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from sidecar.learn.redact import redact
from sidecar.learn.candidates import select
from sidecar.learn.parse import parser_for
from sidecar.learn.queue.job_queue import ChunkCounts, FileCursor, JobQueue
from sidecar.learn.parse.records import Candidate, ParserState
from sidecar.learn.watch.tail import DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, read_new
from sidecar.keyed_locks import KeyedLocks

log = logging.getLogger("sidecar.ingest")
CONTEXT_CHARS = 600


@dataclass
class ScanResult(ChunkCounts):
    """What scanning one file added to the queue (the sum of its chunks)."""

    def add(self, counts: ChunkCounts) -> None:
        self.records += counts.records
        self.candidates += counts.candidates
        self.corrupt += counts.corrupt
        self.queued += counts.queued
        self.duplicates += counts.duplicates
        self.job_ids += counts.job_ids


def redacted(candidate: Candidate) -> Candidate:
    """The candidate with every secret replaced by a placeholder."""
    clean = redact(candidate.text).text
    return candidate if clean == candidate.text else dataclasses.replace(candidate, text=clean)


class FileScanner:
    """Reads files into the queue; one file is never scanned by two threads at once."""

    def __init__(self, queue: JobQueue, *, on_queued=None) -> None:
        self._queue = queue
        self._locks = KeyedLocks()
        self._on_queued = on_queued

    def scan(self, path: Path, agent: str) -> ScanResult:
        """Queue whatever ``path`` gained since its stored cursor."""
        key = str(path)
        total = ScanResult()
        with self._locks.hold(key):
            parser = parser_for(agent)
            max_bytes = DEFAULT_CHUNK_BYTES
            while True:
                cursor = self._queue.cursor(key)
                read = read_new(path, cursor, max_bytes=max_bytes)
                if read.status == "gone":
                    if cursor is not None and cursor.inode is not None:
                        self._queue.mark_deleted(key)
                        log.info("transcript %s was deleted", key)
                    break
                if read.status == "unchanged":
                    break
                if read.restart:
                    log.info("transcript %s was %s; reading it again from the start", key, read.restart)
                fresh = cursor is None or read.restart is not None
                state = ParserState() if fresh else ParserState.from_dict(cursor.state)
                parsed = parser.parse(read.data, source=key, start_offset=read.start_offset,
                                      start_line=read.start_line, state=state)
                if parsed.consumed == 0 and not read.whole_document:
                    if not read.at_end and max_bytes < MAX_CHUNK_BYTES:
                        max_bytes *= 2  # one line longer than the chunk: read more at once
                        continue
                    break  # a partial last line: wait for the writer to finish it
                if parsed.consumed == 0:
                    break  # a whole document mid-rewrite: wait for a valid one
                last_turn = "" if fresh else cursor.last_turn
                jobs: list[tuple[Candidate, str]] = []
                selected = select(parsed.candidates)
                for candidate in selected:
                    clean = redacted(candidate)
                    jobs.append((clean, last_turn))
                    last_turn = f"{clean.role}: {clean.text[-CONTEXT_CHARS:]}"
                consumed_to = read.start_offset + parsed.consumed
                new_cursor = FileCursor(
                    key, agent, read.inode, consumed_to,
                    read.start_line + read.data[: parsed.consumed].count(b"\n"),
                    read.size, read.mtime_ns, state.to_dict(), last_turn,
                )
                counts = ChunkCounts(records=parsed.records, candidates=len(selected), corrupt=parsed.corrupt)
                total.add(self._queue.commit_chunk(new_cursor, jobs, counts))
                if read.whole_document or read.at_end and consumed_to >= read.size:
                    break
                max_bytes = DEFAULT_CHUNK_BYTES
        if total.queued:
            log.info("queued %d jobs from %s (%d records, %d corrupt, %d duplicates)",
                     total.queued, key, total.records, total.corrupt, total.duplicates)
            if self._on_queued is not None:
                self._on_queued()
        return total
