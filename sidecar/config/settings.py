"""One frozen settings object, read from the TOML config file and the environment.

The ``[mem0]`` table is mem0's own config dict (llm / embedder / vector_store /
history_db_path), passed to ``Memory.from_config`` unchanged apart from the
defaults we fill in (see :mod:`sidecar.store.mem0_config`). Our own keys sit
beside it.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sidecar_shared.paths import AppPaths, app_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Settings:
    """Everything the daemon needs to know, resolved once at start (and on SIGHUP)."""

    paths: AppPaths
    user_id: str
    workers: int = 4
    queue_size: int = 256
    embedder_threads: int | None = None
    ollama_url: str = DEFAULT_OLLAMA_URL
    log_level: str = "INFO"
    mem0: Mapping[str, Any] = field(default_factory=dict)
    watch: Mapping[str, Any] = field(default_factory=dict)
    gate: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    search: Mapping[str, Any] = field(default_factory=dict)

    @property
    def store_dir(self) -> Path:
        return self.paths.data_dir / "store"


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table in the config file")
    return MappingProxyType(value)


def _int(raw: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"daemon.{key} must be an integer between {low} and {high}, got {value!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (if any) and build :class:`Settings`; raise :class:`ConfigError`."""
    env = os.environ if env is None else env
    paths = app_paths(env)
    raw: dict[str, Any] = {}
    if paths.config_file.is_file():
        try:
            raw = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{paths.config_file}: {exc}") from None
    daemon = _table(raw, "daemon")
    ollama = _table(raw, "ollama")
    user_id = raw.get("user_id") or env.get("SIDECAR_USER") or getpass.getuser()
    if not isinstance(user_id, str):
        raise ConfigError("user_id must be a string")
    threads = daemon.get("embedder_threads")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ConfigError("daemon.embedder_threads must be a positive integer")
    return Settings(
        paths=paths,
        user_id=user_id,
        workers=_int(daemon, "workers", 4, 1, 64),
        queue_size=_int(daemon, "queue_size", 256, 1, 100_000),
        embedder_threads=threads,
        ollama_url=str(ollama.get("url", env.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL)),
        log_level=str(daemon.get("log_level", "INFO")).upper(),
        mem0=_table(raw, "mem0"),
        watch=_table(raw, "watch"),
        gate=_table(raw, "gate"),
        context=_table(raw, "context"),
        search=_table(raw, "search"),
    )
