"""The ``admin`` component: export/import ops and the operating figures in ``status``.

Its status section carries what ``memctl status`` and ``memctl doctor`` need
from inside the daemon: memories per user/agent, store size on disk, the
embedded model's path and each telemetry opt-out variable. (RSS and per-op
latencies come from the server's own metrics.)
"""

from __future__ import annotations

from typing import Any

from sidecar.process import offline
from sidecar.admin.export_import import register_export_import
from sidecar.admin.store_stats import StoreStatsCache


class AdminComponent:
    """Built as ``AdminComponent(app)`` from :data:`sidecar.composition.COMPONENTS`."""

    name = "admin"

    def __init__(self, app: Any) -> None:
        self._app = app
        self._stats = StoreStatsCache(app.store)
        register_export_import(app.ops, app.store)

    def start(self) -> None:
        self._stats.refresh_soon()

    def status(self) -> dict[str, Any]:
        store = self._app.store
        return {
            **self._stats.snapshot(),
            "model_path": _model_path() if store.choice.embedded else None,
            "telemetry": offline.status(),
            "data_dir": str(self._app.settings.paths.data_dir),
        }

    def close(self) -> None:
        self._stats.close()


def _model_path() -> str | None:
    from sidecar.store.embedder import EmbedderError, model_path

    try:
        return str(model_path())
    except EmbedderError:
        return None
