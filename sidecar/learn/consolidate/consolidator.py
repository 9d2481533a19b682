"""Consolidation of one scope: plan (see :mod:`.planner`), and apply the plan through the store.

Every change is a store ``delete`` (mem0 keeps the old text in its history, so
``memctl history ID`` shows it and it can be added back) with a provenance row
saying why (source ``consolidate``). A real run plans and applies while holding
the scope's write lock, so no write of that scope lands between the plan and
its application; a dry run takes no lock and changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sidecar.learn.apply.provenance import ProvenanceLog, ProvenanceRow
from sidecar.learn.consolidate.planner import Group, Memory, partitions, plan_groups
from sidecar.store.embedder import StoreEmbedder
from sidecar.store.interface import Store

log = logging.getLogger("sidecar.consolidate")

MAX_MEMORIES = 20_000  # per run; a larger scope is consolidated in its first MAX_MEMORIES rows and says so
SOURCE = "consolidate"


@dataclass(frozen=True)
class Outcome:
    """What one run found and did."""

    scope: dict[str, str]
    dry_run: bool
    memories: int
    truncated: bool
    groups: list[Group]
    deleted: int
    skipped: int  # planned deletions of memories that changed or vanished before they were applied

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "dry_run": self.dry_run, "memories": self.memories,
                "truncated": self.truncated, "groups": [g.as_dict() for g in self.groups],
                "planned": sum(len(g.removals) for g in self.groups), "deleted": self.deleted,
                "updated": 0, "skipped": self.skipped}


class Consolidator:
    """Finds and removes restatements and stale values inside a scope (never across scopes or users)."""

    def __init__(self, store: Store, embedder: Callable[[], StoreEmbedder], provenance: ProvenanceLog) -> None:
        self._store = store
        self._embedder = embedder  # built on first use when the store does not embed with MiniLM itself
        self._provenance = provenance
        self._lock = threading.Lock()
        self.runs = 0
        self.deleted = 0
        self.last_run: float | None = None

    def run(self, scope: Mapping[str, str], *, dry_run: bool = False) -> Outcome:
        """Consolidate ``scope`` (a user, optionally narrowed by agent/run); ``dry_run`` changes nothing."""
        scope = dict(scope)
        if dry_run:
            return self._plan(scope, dry_run=True)
        with self._store.scope_lock(scope):
            outcome = self._plan(scope, dry_run=False)
            deleted, skipped = self._apply(outcome.groups)
        with self._lock:
            self.runs += 1
            self.deleted += deleted
            self.last_run = time.time()
        return Outcome(scope, False, outcome.memories, outcome.truncated, outcome.groups, deleted, skipped)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"runs": self.runs, "deleted": self.deleted, "last_run": self.last_run}

    def _plan(self, scope: dict[str, str], *, dry_run: bool) -> Outcome:
        rows = self._store.get_all(filters=scope, top_k=MAX_MEMORIES + 1).get("results", [])
        rows = [r for r in rows if isinstance(r.get("memory"), str) and r.get("id")]
        truncated = len(rows) > MAX_MEMORIES
        memories = [Memory.of(r) for r in rows[:MAX_MEMORIES]]
        groups: list[Group] = []
        if len(memories) > 1:
            vectors = np.asarray(self._embedder().embed([m.text for m in memories]), dtype=np.float32)
            for indexes in partitions(memories).values():
                if len(indexes) > 1:
                    groups += plan_groups([memories[i] for i in indexes], vectors[indexes])
        return Outcome(scope, dry_run, len(memories), truncated, groups, 0, 0)

    def _apply(self, groups: list[Group]) -> tuple[int, int]:
        deleted = skipped = 0
        for group in groups:
            for removal in group.removals:
                current = self._store.get(removal.memory.id)
                if current is None or current.get("memory") != removal.memory.text \
                        or self._store.get(group.survivor.id) is None:
                    skipped += 1
                    continue
                self._store.delete(removal.memory.id)
                self._provenance.record(ProvenanceRow(
                    memory_id=removal.memory.id, op="DELETE", source=SOURCE, backend=SOURCE,
                    kind=removal.relation, decision=f"{removal.reason} (kept {group.survivor.id})"))
                deleted += 1
        if deleted:
            log.info("consolidation deleted %d memories", deleted)
        return deleted, skipped


def minilm_for(store: Store, threads: int | None = None) -> Callable[[], StoreEmbedder]:
    """The embedder consolidation compares with: MiniLM, whose cosines the thresholds are in.

    The store's own when it embeds with MiniLM; otherwise one built on the first
    consolidation (a daemon that never consolidates never loads it).
    """
    from sidecar.store.embedder import MiniLMEmbedder

    own = getattr(store, "embedder", None)
    if isinstance(own, MiniLMEmbedder):
        return lambda: own
    built: list[StoreEmbedder] = []
    lock = threading.Lock()

    def get() -> StoreEmbedder:
        with lock:
            if not built:
                built.append(MiniLMEmbedder(threads=threads))
            return built[0]

    return get
