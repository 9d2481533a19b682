"""Hybrid search: mem0's dense results fused with a BM25 keyword channel.

mem0's own keyword search is not implemented for Chroma, so the store keeps a
SQLite FTS5 index in step with every write (same scope columns, so users stay
isolated) and fuses both channels (min-max normalised, weighted; see
``fusion.FusionParams`` and docs/benchmarks.md for how the values were chosen).

Each memory is indexed with a small *context*: the previous memory of the same
run (a conversation's previous turn) and its date. On the LoCoMo development
split this lifted turn recall@10 from 0.639 to 0.717 and session hit@10 from
0.934 to 0.955.

The keyword channel needs no query vector, so a search starts it on a thread of its own
(:meth:`HybridIndex.start_keyword`) while the caller embeds the query and asks the dense
index: SQLite and PostgreSQL do their work without the GIL, so at 100k memories the keyword
pass hides behind the embedding instead of adding to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sidecar.store.chroma_rows import StoredRow
from sidecar.store.fusion import DEFAULT_PARAMS, FusionParams, fuse
from sidecar.store.keyword import KeywordIndex
from sidecar.store.keyword_sync import resync_by_content
from sidecar_shared.protocol import SCOPE_KEYS

log = logging.getLogger("sidecar.store.hybrid")
# A conversational turn helps find the fact learned from it; a long agent message would only add noise.
UTTERANCE_CONTEXT_CHARS = 600
KEYWORD_THREADS = 4  # keyword passes of concurrent searches; each thread holds one SQLite connection


def date_text(metadata: Mapping[str, Any] | None, created_at: str | None) -> str:
    """The memory's date as words ("8 May 2023"), from metadata ``date`` or its creation time."""
    if metadata and isinstance(metadata.get("date"), str):
        return metadata["date"]
    try:
        return datetime.fromisoformat(str(created_at)).strftime("%-d %B %Y")
    except ValueError:
        return ""


class HybridIndex:
    """The keyword channel plus the fusion step."""

    def __init__(self, path: Path, params: FusionParams = DEFAULT_PARAMS, *, use_neighbour: bool = True,
                 keyword: Any = None) -> None:
        self.keyword = keyword if keyword is not None else KeywordIndex(path)  # or the server's (store.pg.keyword)
        self.params = params
        self.use_neighbour = use_neighbour
        self._keyword_threads = ThreadPoolExecutor(KEYWORD_THREADS, thread_name_prefix="keyword-search")

    # -- keeping the index in step with the store ------------------------------

    def added(self, memory_id: str, text: str, scope: Mapping[str, str], metadata: Mapping[str, Any] | None,
              created_at: str | None) -> None:
        ids = {k: scope.get(k) for k in SCOPE_KEYS}
        parts = []
        if self.use_neighbour and ids["run_id"]:
            previous = self.keyword.neighbour_text(**ids)
            if previous:
                parts.append(previous)
        utterance = (metadata or {}).get("utterance")
        if isinstance(utterance, str) and utterance.strip() and utterance.strip() != text.strip() \
                and len(utterance) <= UTTERANCE_CONTEXT_CHARS:
            parts.append(utterance)  # a learned fact is short; what was said holds the words people ask with
        parts.append(date_text(metadata, created_at))
        self.keyword.upsert(memory_id, text, context=" ".join(p for p in parts if p), **ids)

    def index_results(self, result: Mapping[str, Any], scope: Mapping[str, str],
                      metadata: Mapping[str, Any] | None, messages: Any = None) -> None:
        """Bring the index in step with one add's result rows (one transaction on the server backend).

        A message of the add may carry metadata of its own (an import): its row is indexed with it.
        """
        own = {m["content"]: {**(metadata or {}), **m["metadata"]} for m in messages
               if isinstance(m, dict) and isinstance(m.get("metadata"), dict)} if isinstance(messages, list) else {}
        batch = getattr(self.keyword, "batch", None)
        with batch() if batch is not None else nullcontext():
            now = datetime.now(timezone.utc).isoformat()
            for row in result.get("results", []):
                event, memory_id, text = row.get("event"), str(row.get("id")), row.get("memory")
                if event == "ADD":
                    self.added(memory_id, text or "", scope, own.get(text, metadata), now)
                elif event == "UPDATE":
                    self.updated(memory_id, text or "", scope)
                elif event == "DELETE":
                    self.deleted(memory_id)

    def updated(self, memory_id: str, text: str, scope: Mapping[str, str]) -> None:
        context = self.keyword.context_of(memory_id) or ""
        self.keyword.upsert(memory_id, text, context=context, **{k: scope.get(k) for k in SCOPE_KEYS})

    def deleted(self, memory_id: str) -> None:
        self.keyword.delete(memory_id)

    def deleted_scope(self, scope: Mapping[str, str]) -> None:
        self.keyword.delete_scope(**{k: scope.get(k) for k in SCOPE_KEYS})

    def resync(self, rows: Iterable[StoredRow], expected: int) -> int:
        """Compare with the store's rows by content (``expected`` is unused); returns rows rewritten.

        See :mod:`sidecar.store.keyword_sync`: a crash between the store's write and
        the index's leaves the same row count with different texts.
        """
        return resync_by_content(self, rows).rewritten

    # -- searching --------------------------------------------------------------

    def start_keyword(self, query: str, filters: Mapping[str, str]) -> Future[list[tuple[str, float]]]:
        """The keyword channel's hits for ``query``, computed on a thread of its own; pass the future to
        :meth:`fuse` once the dense hits are in."""
        return self._keyword_threads.submit(self.keyword.search, query, filters=filters,
                                            limit=self.params.keyword_depth)

    def fuse(self, dense: list[dict[str, Any]], keyword: Future[list[tuple[str, float]]],
             top_k: int) -> list[tuple[str, float, float | None, float | None]]:
        """(id, fused score in [0, 1], dense score, keyword score), best first; the keyword hits come from
        ``keyword`` (see :meth:`start_keyword`)."""
        hits = keyword.result()
        dense_pairs = [(str(m["id"]), float(m["score"])) for m in dense]
        fused = fuse(dense_pairs, hits, limit=top_k, params=self.params)
        total = (self.params.dense_weight + self.params.keyword_weight) or 1.0
        dense_scores, keyword_scores = dict(dense_pairs), dict(hits)
        return [(mid, min(1.0, score / total), dense_scores.get(mid), keyword_scores.get(mid))
                for mid, score in fused]

    def close(self) -> None:
        self._keyword_threads.shutdown(wait=True)  # a pass still running finishes before its connection closes
        self.keyword.close()
