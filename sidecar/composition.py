"""Assembles the daemon's parts: the store, the op table, components, status.

A component is a class built as ``Component(app)``; it may register ops, run
background threads between :meth:`start` and :meth:`close`, and add a section to
``status``. Components are built in the order listed, so a later one can use an
earlier one through :meth:`App.component`.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any, Protocol

from sidecar import __version__
from sidecar.process import offline
from sidecar.config.settings import Settings, load_settings
from sidecar.rpc.dispatch import OpTable, register_store_ops
from sidecar.store.memory_store import MemoryStore

log = logging.getLogger("sidecar.composition")

# "module:Class" of each component, in build order.
COMPONENTS: tuple[str, ...] = (
    "sidecar.admin.service:AdminComponent",
    "sidecar.context.service:ContextComponent",
    "sidecar.learn.service:IngestComponent",
)


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class App:
    """Everything the server serves; built once per daemon."""

    def __init__(self, settings: Settings, components: tuple[str, ...] = COMPONENTS) -> None:
        self.settings = settings
        self.store = MemoryStore(settings)
        self.ops = OpTable()
        register_store_ops(self.ops, self.store)
        self._components: dict[str, Component] = {}
        for spec in components:
            module_name, class_name = spec.split(":")
            component = getattr(importlib.import_module(module_name), class_name)(self)
            self._components[component.name] = component

    def component(self, name: str) -> Any:
        """An earlier component by name (``KeyError`` if it is not built)."""
        return self._components[name]

    def has_component(self, name: str) -> bool:
        return name in self._components

    def status(self) -> dict[str, Any]:
        paths = self.settings.paths
        data: dict[str, Any] = {
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
        for name, component in self._components.items():
            try:
                data[name] = component.status()
            except Exception as exc:  # status must answer even when a part is broken
                data[name] = {"error": str(exc)}
        return data

    def start_background(self) -> None:
        """Start the components' background work (called once the socket is bound)."""
        for component in self._components.values():
            component.start()

    def reload(self) -> None:
        """SIGHUP: re-read the config; what needs a restart is logged, not applied."""
        fresh = load_settings()
        logging.getLogger().setLevel(fresh.log_level)
        if dict(fresh.mem0) != dict(self.settings.mem0):
            log.warning("the [mem0] table changed: restart the daemon to apply it")
        log.info("configuration reloaded from %s", fresh.paths.config_file)

    def close(self) -> None:
        for component in reversed(list(self._components.values())):
            try:
                component.close()
            except Exception:
                log.exception("closing %s failed", component.name)
        self.store.close()


def build_app(settings: Settings) -> App:
    return App(settings)
