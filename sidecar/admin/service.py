"""The admin service: the operating figures in ``status`` (export and import are ops over the store).

Its status section carries what ``memctl status`` and ``memctl doctor`` need
from inside the daemon: memories per user/agent, store size on disk, the
embedded model's path, each telemetry opt-out variable and where the files are. (RSS and per-op
latencies come from the server's own metrics.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sidecar.process import offline
from sidecar.admin.store_files import store_files
from sidecar.admin.store_stats import StoreStatsCache
from sidecar.store.memory_store import MemoryStore


class AdminService:
    """Store statistics, refreshed in the background, and where things are."""

    def __init__(self, *, store: MemoryStore, data_dir: Path) -> None:
        self._store = store
        self._data_dir = data_dir
        self._stats = StoreStatsCache(store)

    def start(self) -> None:
        self._stats.refresh_soon()

    def status(self) -> dict[str, Any]:
        return {
            **self._stats.snapshot(),
            "model_path": _model_path() if self._store.choice.embedded else None,
            "telemetry": offline.status(),
            "data_dir": str(self._data_dir),
            "files": store_files(self._data_dir, Path(self._store.path)),
        }

    def close(self) -> None:
        self._stats.close()


def _model_path() -> str | None:
    from sidecar.store.embedder import EmbedderError, model_path

    try:
        return str(model_path())
    except EmbedderError:
        return None
