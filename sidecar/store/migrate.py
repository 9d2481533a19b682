"""Moving a store between backends (``memctl migrate``): embedded (Chroma) <-> PostgreSQL + pgvector.

Every memory keeps its id, text, scope, metadata and timestamps, and its mem0
history rows; texts are embedded again by the target (the same embedder on both
sides: each backend's card refuses another). Ids the target already holds are
skipped, so a migration that stopped half-way can be run again. At the end every
source id is looked up in the target: the count check.

Run with no daemon on this data folder (the instance lock is taken), as
``python -m sidecar.store.migrate --to pgvector|embedded [--dsn DSN] [--dry-run]``;
it prints one JSON report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sidecar.config.settings import ConfigError, Settings, load_settings
from sidecar.store.backend import EMBEDDED, SERVER, provider_of

PAGE = 500


@dataclass
class MigrationReport:
    """What a migration found and did; ``ok`` only when every source memory is in the target."""

    source: str
    target: str
    dry_run: bool
    source_memories: int = 0
    history_rows: int = 0
    copied: int = 0
    already_there: int = 0
    missing_after: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_after

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "missing_after": self.missing_after[:20],
                "missing_count": len(self.missing_after), "ok": self.ok}


def with_vector_store(settings: Settings, provider: str, dsn: str | None) -> Settings:
    """``settings`` with ``[mem0.vector_store]`` set to ``provider`` (a DSN for pgvector)."""
    mem0 = {key: value for key, value in dict(settings.mem0).items()}
    current = dict(mem0.get("vector_store") or {})
    if provider == EMBEDDED:
        mem0["vector_store"] = {"provider": EMBEDDED, "config": {}}
    else:
        config = dict(current.get("config") or {}) if current.get("provider") == SERVER else {}
        if dsn:
            config = {k: v for k, v in config.items() if k not in ("host", "port", "user", "password", "dbname")}
            config["connection_string"] = dsn
        if not config:
            raise ConfigError("migrating to or from PostgreSQL needs --dsn, or [mem0.vector_store] provider = "
                              "\"pgvector\" with its connection in the config")
        mem0["vector_store"] = {"provider": SERVER, "config": config}
    return dataclasses.replace(settings, mem0=MappingProxyType(mem0))


def plan(settings: Settings, to: str, dsn: str | None) -> tuple[Settings, Settings]:
    """(source settings, target settings) for a migration ``to`` a backend."""
    if to not in (EMBEDDED, SERVER):
        raise ConfigError(f"--to must be {EMBEDDED!r} (alias 'embedded') or {SERVER!r}")
    source = EMBEDDED if to == SERVER else SERVER
    if to == EMBEDDED and provider_of(settings) == SERVER and not dsn:
        return settings, with_vector_store(settings, EMBEDDED, None)
    return with_vector_store(settings, source, dsn), with_vector_store(settings, to, dsn)


def migrate(source_settings: Settings, target_settings: Settings, *, dry_run: bool = False) -> MigrationReport:
    """Copy every memory of the source store into the target store (see the module docstring)."""
    from sidecar.store.memory_store import MemoryStore

    report = MigrationReport(provider_of(source_settings), provider_of(target_settings), dry_run)
    source = MemoryStore(source_settings)
    try:
        ids: list[str] = []
        target = None if dry_run else MemoryStore(target_settings)
        try:
            offset = 0
            while True:
                rows = source.read_rows(offset, PAGE)
                history = {row.id: source.history(row.id) for row in rows}
                report.source_memories += len(rows)
                report.history_rows += sum(len(h) for h in history.values())
                ids.extend(row.id for row in rows)
                if target is not None:
                    copied = target.copy_in(rows, history)
                    report.copied += copied
                    report.already_there += len(rows) - copied
                if len(rows) < PAGE:
                    break
                offset += PAGE
            if target is not None:
                for start in range(0, len(ids), PAGE):
                    batch = ids[start:start + PAGE]
                    present = target.present(batch)
                    report.missing_after.extend(i for i in batch if i not in present)
        finally:
            if target is not None:
                target.close()
    finally:
        source.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sidecar.store.migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--to", required=True, help="pgvector, or embedded (chroma)")
    parser.add_argument("--dsn", help="the PostgreSQL connection (default: [mem0.vector_store] config)")
    parser.add_argument("--dry-run", action="store_true", help="count what would move; write nothing")
    args = parser.parse_args(argv)
    to = EMBEDDED if args.to in ("embedded", EMBEDDED) else args.to
    from sidecar.process import offline
    from sidecar.process.lock import AlreadyRunning, InstanceLock

    try:
        settings = load_settings()
        offline.apply(mem0_dir=settings.paths.data_dir / "mem0")  # before mem0 is imported
        source, target = plan(settings, to, args.dsn)
        lock = InstanceLock(settings.paths.lock_path)
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            raise ConfigError(f"{exc}; stop it first (memctl service stop): a store is moved with no daemon on it")
        try:
            report = migrate(source, target, dry_run=args.dry_run)
        finally:
            lock.release()
    except Exception as exc:  # one line for the CLI, never a trace
        from sidecar.store.pg.connection import redacted

        print(json.dumps({"error": redacted(" ".join(f"{exc.__class__.__name__}: {exc}".split()))}))
        return 2
    print(json.dumps(report.as_dict()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
