"""Finding and scrubbing secrets stored by older versions (``secrets.scan`` / ``secrets.scrub``).

Every write path now refuses or redacts secrets (:mod:`sidecar.learn.secret_guard`);
this pass cleans what earlier versions stored. In order:

1. memories: each row whose text or metadata holds a secret is updated through
   the store (mem0 update, so its history records the change, the keyword index
   and MEMORY.md follow);
2. mem0's history: every old and new text of every row (deleted memories' too)
   is rewritten, since an update leaves the old text in the earlier rows;
3. the keyword index: contexts copied from a neighbouring memory are redacted,
   then the index is compacted so no deleted term lingers;
4. session files (and ones moved aside as unreadable);
5. MEMORY.md: re-rendered now; a secret outside the managed section is reported;
6. Chroma's write-ahead log: rewritten at the next daemon start
   (:mod:`sidecar.store.chroma_log` says why it cannot be done now).

Reports name where and which kind, never a value. A scan that found nothing is
recorded with a fingerprint of the detector (its modules and detect-secrets'
version): every write path keeps secrets out since, so ``memctl doctor`` asks
for the recorded answer (``cached``) and scans again only when the detector changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sidecar.admin.scrub_files import FileFinding, memory_md_pass, sessions_pass
from sidecar.config.settings import Settings
from sidecar.context.md_paths import FILE_NAME, memory_root
from sidecar.context.md_sync import MemoryMdService
from sidecar.context.sessions import SessionManager
from sidecar.learn.secret_guard import scrub, secret_kinds
from sidecar.store import chroma_log
from sidecar.store.chroma_rows import MEM0_KEYS, TEXT_KEY
from sidecar.store.memory_store import MemoryStore
from sidecar_shared.protocol import SCOPE_KEYS

log = logging.getLogger("sidecar.admin.scrub")

PAGE = 500
CLEAN_RECORD = "secrets-clean.json"
_DETECTOR_MODULES = ("redact", "secret_patterns", "secret_prose", "secret_cjk")
MAX_LISTED = 200  # findings listed per part; the counts are always complete
_PARTS = ("memories", "history", "keyword", "sessions", "memory_md")


class SecretScrubber:
    """Scans the store, mem0's history, the keyword index, sessions and MEMORY.md for secrets; scrubs them."""

    def __init__(self, *, store: MemoryStore, sessions: SessionManager | None = None,
                 md: MemoryMdService | None = None) -> None:
        self._store = store
        self._sessions = sessions
        self._md = md

    def scan(self, *, cached: bool = False) -> dict[str, Any]:
        """What a scrub would change, changing nothing; ``cached``: the recorded clean answer, if still valid."""
        record = Path(self._store.path) / CLEAN_RECORD
        if cached and _recorded_clean(record):
            return {"dry_run": True, "cached": True, "found": dict.fromkeys(_PARTS, 0), "total": 0, "kinds": {},
                    "memories": [], "sessions": [], "memory_md": [], "remaining": [],
                    "restart_needed": chroma_log.requested(self._store.path)}
        report = self._run(dry_run=True)
        if report["total"] == 0:
            record.write_text(json.dumps({"detector": detector_fingerprint(), "at": time.time()}) + "\n",
                              encoding="utf-8")
        return report

    def scrub(self) -> dict[str, Any]:
        """Redact every secret found; see the module docstring for the order."""
        return self._run(dry_run=False)

    def _run(self, *, dry_run: bool) -> dict[str, Any]:
        kinds: Counter[str] = Counter()
        rows = list(self._secret_rows())
        for row in rows:
            kinds.update(row["kinds"])
            if not dry_run:
                self._scrub_row(row)
        history = self._store.rewrite_history(scrub, dry_run=dry_run)
        copies = getattr(self._store, "copies", None)
        if copies is not None and not dry_run:
            copies.compact()  # the scrubbed rows' old copies were forgotten; leave no page of them in the WAL
        keyword = self._keyword_pass(dry_run)
        sessions = sessions_pass(self._sessions, secret_kinds, scrub, dry_run) if self._sessions else []
        memory_md = memory_md_pass(self._memory_md_files(), secret_kinds)
        remaining = memory_md
        if self._md is not None and not dry_run:
            self._md.tick(force=True)  # render the scrubbed rows now, not after the debounce
            remaining = memory_md_pass(self._memory_md_files(), secret_kinds)
        for finding in [*sessions, *memory_md]:
            kinds.update(finding.kinds)
        restart = chroma_log.requested(self._store.path)
        if (rows or history) and not dry_run:
            chroma_log.request(self._store.path, f"{len(rows)} memories and {history} history rows scrubbed")
            restart = True
        found = dict(zip(_PARTS, (len(rows), history, keyword, len(sessions), len(memory_md))))
        log.info("secret %s: %s", "scan" if dry_run else "scrub", found)
        return {
            "dry_run": dry_run,
            "found": found,
            "total": sum(found.values()),
            "kinds": dict(kinds.most_common()),
            "memories": [{k: v for k, v in row.items() if k != "payload"} for row in rows[:MAX_LISTED]],
            "sessions": [f.to_dict() for f in sessions[:MAX_LISTED]],
            "memory_md": [f.to_dict() for f in memory_md[:MAX_LISTED]],
            # MEMORY.md lines still holding a secret: the user's own text outside the managed section
            # (to remove by hand), or a file no scrubbed memory of its user re-rendered
            "remaining": [f.to_dict() for f in remaining[:MAX_LISTED]] if not dry_run else [],
            "restart_needed": restart,
        }

    # -- memories -----------------------------------------------------------------------------------

    def _secret_rows(self) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._store.scan(offset=offset, limit=PAGE, include=("metadatas",))
            ids = page.get("ids") or []
            for memory_id, payload in zip(ids, page.get("metadatas") or []):
                found = _row_findings(payload or {})
                if found:
                    yield {"id": str(memory_id), **{k: (payload or {}).get(k) for k in SCOPE_KEYS},
                           "kinds": sorted({kind for kinds in found.values() for kind in kinds}),
                           "fields": sorted(found), "payload": payload}
            if len(ids) < PAGE:
                return
            offset += len(ids)

    def _scrub_row(self, row: dict[str, Any]) -> None:
        payload = row["payload"] or {}
        text = payload.get(TEXT_KEY)
        new_text = scrub(text) if "text" in row["fields"] and isinstance(text, str) else None
        metadata = {field.split(".", 1)[1]: _scrubbed(payload[field.split(".", 1)[1]])
                    for field in row["fields"] if field.startswith("metadata.")}
        try:
            self._store.update(row["id"], text=new_text, metadata=metadata or None)
        except Exception as exc:  # deleted meanwhile, or a store error: report, scrub the rest
            log.warning("scrubbing memory %s failed: %s", row["id"], exc)

    # -- keyword index ------------------------------------------------------------------------------

    def _keyword_pass(self, dry_run: bool) -> int:
        hybrid = getattr(self._store, "hybrid", None)
        if hybrid is None:
            return 0
        keyword = hybrid.keyword
        found = 0
        for memory_id in sorted(keyword.ids()):
            context = keyword.context_of(memory_id) or ""
            if not secret_kinds(context):
                continue
            found += 1
            row = self._store.get(memory_id) if not dry_run else None
            if row is not None:
                keyword.upsert(memory_id, str(row.get("memory") or ""), context=scrub(context),
                               **{k: row.get(k) for k in SCOPE_KEYS})
        if not dry_run:
            keyword.compact()
        return found

    # -- MEMORY.md ----------------------------------------------------------------------------------

    def _memory_md_files(self) -> list[Path]:
        if self._md is None:
            return []
        paths = [Path(f["path"]) for f in self._md.status().get("files", [])]
        root = memory_root(self._md.settings)
        if root.is_dir():
            paths += root.rglob(FILE_NAME)
        return [p for p in paths if p.is_file()]


def detector_fingerprint() -> str:
    """Changes whenever the secret detector may find more: its modules' source and detect-secrets' version."""
    import importlib
    from importlib.metadata import version

    digest = hashlib.sha256(version("detect-secrets").encode())
    for name in _DETECTOR_MODULES:
        module = importlib.import_module(f"sidecar.learn.{name}")
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _recorded_clean(record: Path) -> bool:
    try:
        return json.loads(record.read_text(encoding="utf-8")).get("detector") == detector_fingerprint()
    except (OSError, ValueError, AttributeError):
        return False


def _row_findings(payload: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """``{"text" | "metadata.<key>": kinds}`` for the parts of a stored row that hold a secret."""
    found: dict[str, tuple[str, ...]] = {}
    text = payload.get(TEXT_KEY)
    if isinstance(text, str) and (kinds := secret_kinds(text)):
        found["text"] = kinds
    for key, value in payload.items():
        if key in MEM0_KEYS:
            continue
        kinds = tuple(sorted({k for item in _strings(value) for k in secret_kinds(item)}))
        if kinds:
            found[f"metadata.{key}"] = kinds
    return found


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub(item) if isinstance(item, str) else item for item in value]
    return value


def scrub_chroma_log_if_requested(settings: Settings) -> int | None:
    """At start, before Chroma opens: finish a scrub by rewriting Chroma's log (see :mod:`.chroma_log`)."""
    if not chroma_log.requested(settings.store_dir):
        return None
    from sidecar.store.mem0_config import build_mem0_config

    vector_store = build_mem0_config(settings)[0].get("vector_store") or {}
    path = (vector_store.get("config") or {}).get("path") if vector_store.get("provider") == "chroma" else None
    return chroma_log.scrub_if_requested(settings.store_dir, Path(path) if path else None, scrub)
