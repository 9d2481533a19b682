"""Bringing the keyword index back in step with the store, by content, at start.

Every write changes Chroma first and the keyword index second; a crash between the
two (an update whose new text reached Chroma only) leaves both with the same number
of rows but different texts, which a row count cannot see. So at start each side is
reduced to ``{memory id: digest of text and scope}`` and only the rows that differ
are rewritten: missing ones indexed, changed ones re-indexed, extra ones removed.
The store is the truth; the index is derived from it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sidecar.store.chroma_rows import StoredRow
from sidecar.store.keyword_rows import row_digest

if TYPE_CHECKING:
    from sidecar.store.hybrid import HybridIndex

log = logging.getLogger("sidecar.store.keyword")


@dataclass(frozen=True)
class SyncReport:
    """What one comparison found (and rewrote)."""

    checked: int = 0
    missing: int = 0
    changed: int = 0
    extra: int = 0

    @property
    def rewritten(self) -> int:
        return self.missing + self.changed + self.extra


def stored_digest(row: StoredRow) -> str:
    scope = row.scope
    return row_digest(row.text, scope.get("user_id"), scope.get("agent_id"), scope.get("run_id"))


def resync_by_content(hybrid: HybridIndex, rows: Iterable[StoredRow]) -> SyncReport:
    """Compare every stored row with the index and rewrite the rows that differ; logs one line if any did."""
    indexed = hybrid.keyword.digests()
    seen: set[str] = set()
    missing: list[StoredRow] = []
    changed: list[StoredRow] = []
    for row in rows:
        seen.add(row.id)
        digest = indexed.get(row.id)
        if digest is None:
            missing.append(row)
        elif digest != stored_digest(row):
            changed.append(row)
    extra = [memory_id for memory_id in indexed if memory_id not in seen]
    for memory_id in extra:
        hybrid.deleted(memory_id)
    for row in changed:
        hybrid.updated(row.id, row.text, row.scope)  # keeps the row's context (its previous turn, its date)
    for row in sorted(missing, key=lambda r: str(r.created_at or "")):
        hybrid.added(row.id, row.text, row.scope, row.metadata, row.created_at)
    report = SyncReport(len(seen), len(missing), len(changed), len(extra))
    if report.rewritten:
        log.warning("keyword index out of step with the store (%d of %d memories: %d missing, %d changed, "
                    "%d extra): rewrote those rows from the store", report.rewritten, report.checked,
                    report.missing, report.changed, report.extra)
    return report
