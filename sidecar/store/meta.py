"""The store's identity card (``store.json``): its embedder, and the versions that last opened it.

Vectors of one model are meaningless to another, so opening a store with a
different embedder must fail loudly instead of returning nonsense.

chromadb and mem0 migrate their files (``chroma/chroma.sqlite3``, ``history.db``)
by themselves when a newer version opens them. So when the recorded versions
differ from the installed ones, the store is copied to
``<data>/backups/store-<stamp>/`` first and ``store.json`` says ``migrating``
until the store has opened; a daemon that finds ``migrating`` left over (the last
one died mid-migration) refuses to start and says how to restore the copy.
A store is recorded only once it has opened (:func:`opened`), so a start that
fails before (an Ollama embedder down) leaves no card naming an embedder never used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from sidecar.config.settings import ConfigError
from sidecar.process.startup import StartupError
from sidecar.sqlite_files import stamp
from sidecar.store.mem0_config import EmbedderChoice, config_lines

log = logging.getLogger("sidecar.store")

META_NAME = "store.json"
FORMAT = 1  # this code's layout of the store folder; a larger number was written by a newer version
BACKED_UP = ("chroma", "history.db", "history.db-wal", "history.db-shm", META_NAME)


class EmbedderMismatch(ConfigError):
    """The store was written by an embedder of another model or size."""


def installed_versions() -> dict[str, Any]:
    """The store format and the versions of the libraries that write its files."""
    versions: dict[str, Any] = {"format": FORMAT}
    for package in ("chromadb", "mem0ai"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def read_meta(store_dir: Path) -> dict[str, Any] | None:
    """The recorded card, or None for a new store; :class:`StartupError` when it cannot be read."""
    path = store_dir / META_NAME
    if not path.is_file():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise StartupError(f"{path} cannot be read ({exc}); it records which embedder wrote the store: restore "
                           "it from a backup, or write it again as "
                           '{"embedder": "all-MiniLM-L6-v2-int8", "dims": 384} if the store used the default') from None
    return recorded


def check_or_record(store_dir: Path, choice: EmbedderChoice) -> None:
    """Before the store opens: check the embedder and any interrupted migration; back up before a new one."""
    recorded = read_meta(store_dir)
    if recorded is None:
        store_dir.mkdir(parents=True, exist_ok=True)
        return
    _check_embedder(store_dir, recorded, choice)
    if recorded.get("migrating"):
        raise StartupError(_interrupted(store_dir, recorded["migrating"]))
    if isinstance(recorded.get("format"), int) and recorded["format"] > FORMAT:
        raise StartupError(f"the store at {store_dir} was written by a newer version of the memory daemon "
                           f"(store format {recorded['format']}, this one knows {FORMAT}): "
                           "upgrade agent-memory-sidecar")
    now = installed_versions()
    before = {key: recorded.get(key) for key in now}
    if before != now and _has_data(store_dir):
        backup = _back_up(store_dir)
        _write(store_dir, {**recorded, "migrating": {"from": before, "to": now, "backup": str(backup)}})
        log.warning("the store at %s was last opened by %s and is opened by %s now: backed up to %s first",
                    store_dir, _versions_text(before), _versions_text(now), backup)


def opened(store_dir: Path, choice: EmbedderChoice) -> None:
    """After the store opened: record its embedder and the versions now installed; a migration is over."""
    recorded = read_meta(store_dir) or {"embedder": choice.name, "dims": choice.dims,
                                        "created_at": datetime.now(timezone.utc).isoformat()}
    recorded.pop("migrating", None)
    _write(store_dir, {**recorded, **installed_versions()})


def _check_embedder(store_dir: Path, recorded: dict[str, Any], choice: EmbedderChoice) -> None:
    dims, name = recorded.get("dims"), recorded.get("embedder")
    if dims != choice.dims:
        raise EmbedderMismatch(
            f"the store at {store_dir} holds {dims}-dimension vectors from {name}, but the configured "
            f"embedder {choice.name} makes {choice.dims}-dimension vectors. Use the old embedder, or "
            "export the memories (memctl export), point the config at a new store and import them."
        )
    if name != choice.name:
        old = config_lines(str(name))
        raise EmbedderMismatch(
            f"the store at {store_dir} was embedded with {name}, but the configured embedder is "
            f"{choice.name} (same {dims} dimensions, different model: its vectors would not compare). "
            f"Configure {name} again" + (f" ({old})" if old else "") + " to use this store. To move it to "
            f"{choice.name}: with the old embedder running, memctl export > memories.jsonl; stop the daemon, "
            f"move {store_dir} aside, configure {choice.name}, start the daemon and memctl import memories.jsonl "
            "(every memory is embedded again)."
        )


def _interrupted(store_dir: Path, migrating: Any) -> str:
    info = migrating if isinstance(migrating, dict) else {}
    backup = info.get("backup") or "(no backup recorded)"
    before = info.get("from") if isinstance(info.get("from"), dict) else {}
    pins = " ".join(f"{name}=={before[name]}" for name in ("chromadb", "mem0ai") if before.get(name))
    return (f"the store at {store_dir} was being upgraded ({_versions_text(before)} -> "
            f"{_versions_text(info.get('to') or {})}) when the daemon stopped, and may be half-migrated. "
            f"To go back: replace the store's chroma/ and history.db with the copies in {backup}, "
            f"copy its store.json back too" + (f", and pip install {pins}" if pins else "") +
            f"; or, to retry the upgrade from that copy, restore it the same way and delete the \"migrating\" "
            f"entry from {store_dir / META_NAME}. Then start the daemon again.")


def _versions_text(versions: Any) -> str:
    if not isinstance(versions, dict):
        return "unknown versions"
    parts = [f"{name} {versions.get(name) or '?'}" for name in ("chromadb", "mem0ai")]
    return ", ".join(parts)


def _has_data(store_dir: Path) -> bool:
    return any((store_dir / name).exists() for name in ("chroma", "history.db"))


def _back_up(store_dir: Path) -> Path:
    """Copy the store's own files (not the derived keyword index) to ``<data>/backups/store-<stamp>``."""
    target = store_dir.parent / "backups" / f"store-{stamp()}"
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, mode=0o700)
    for name in BACKED_UP:
        source = store_dir / name
        if source.is_dir():
            shutil.copytree(source, partial / name)
        elif source.is_file():
            shutil.copy2(source, partial / name)
    os.replace(partial, target)
    return target


def _write(store_dir: Path, record: dict[str, Any]) -> None:
    """Replace ``store.json`` atomically (a crash leaves the old card or the new one)."""
    path = store_dir / META_NAME
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
