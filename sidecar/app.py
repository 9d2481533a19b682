"""Assembles the daemon's parts: the store, the op table, status, background services."""

from __future__ import annotations

import logging
import os
from typing import Any

from sidecar import __version__, offline
from sidecar.config import Settings, load_settings
from sidecar.handlers import OpTable, register_store_ops
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.app")


class App:
    """Everything the server serves; built once per daemon."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = MemoryStore(settings)
        self.ops = OpTable()
        register_store_ops(self.ops, self.store)

    def status(self) -> dict[str, Any]:
        paths = self.settings.paths
        return {
            "version": __version__,
            "pid": os.getpid(),
            "socket": str(paths.socket_path),
            "store_path": str(self.store.path),
            "embedder": self.store.choice.name,
            "dims": self.store.choice.dims,
            "memories": self.store.count(),
            "workers": self.settings.workers,
            "telemetry_off": all(offline.status().values()),
        }

    def start_background(self) -> None:
        """Start background services (called once the socket is bound)."""

    def reload(self) -> None:
        """SIGHUP: re-read the config; what needs a restart is logged, not applied."""
        fresh = load_settings()
        logging.getLogger().setLevel(fresh.log_level)
        if dict(fresh.mem0) != dict(self.settings.mem0):
            log.warning("the [mem0] table changed: restart the daemon to apply it")
        log.info("configuration reloaded from %s", fresh.paths.config_file)

    def close(self) -> None:
        self.store.close()


def build_app(settings: Settings) -> App:
    return App(settings)
