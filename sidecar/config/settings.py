"""One frozen settings object, read from the TOML config file and the environment.

The whole file is parsed and checked at load (:mod:`sidecar.config.sections`),
before any part of the daemon is built; every mistake is named in one
:class:`ConfigError` line. The ``[mem0]`` table is mem0's own config dict
(llm / embedder / vector_store / history_db_path), passed to
``Memory.from_config`` unchanged apart from the defaults we fill in (see
:mod:`sidecar.store.mem0_config`); its shape and provider names are checked
here (:mod:`sidecar.config.mem0_table`), the providers' own settings by mem0.
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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sidecar.config.mem0_table import Mem0Table
from sidecar.config.sections import (
    ConsolidateConfig,
    ContextConfig,
    DaemonConfig,
    GateConfig,
    OllamaConfig,
    SearchConfig,
    WatchConfig,
)
from sidecar_shared.paths import AppPaths, app_paths
from sidecar_shared.user import USER_ENV

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


class _ConfigFile(BaseModel):
    """The file's top level: our tables, mem0's table, and the default user."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    user_id: str | None = Field(None, min_length=1)
    daemon: DaemonConfig = DaemonConfig()
    ollama: OllamaConfig = OllamaConfig()
    mem0: Mem0Table = Mem0Table()
    watch: WatchConfig = WatchConfig()
    gate: GateConfig = GateConfig()
    context: ContextConfig = ContextConfig()
    search: SearchConfig = SearchConfig()
    consolidate: ConsolidateConfig = ConsolidateConfig()


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
    drain_seconds: float = 10.0
    queue_per_key: int = 64
    socket_check_seconds: float = 2.0
    mem0: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    watch: WatchConfig = field(default_factory=WatchConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    context: ContextConfig = field(default_factory=ContextConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    consolidate: ConsolidateConfig = field(default_factory=ConsolidateConfig)

    @property
    def store_dir(self) -> Path:
        return self.paths.data_dir / "store"


def describe(error: ValidationError) -> str:
    """One line naming every mistake: ``gate.backend: Input should be ... (got 'olama')``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(step) for step in item["loc"] if not str(step).startswith("function-"))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        else:
            if item["type"] in ("model_type", "dict_type"):
                message = "must be a table"
            if "input" in item and not isinstance(item["input"], (dict, list)):
                shown = repr(item["input"])
                message = f"{message} (got {shown if len(shown) <= 80 else shown[:77] + '...'})"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_config(raw: Mapping[str, Any], source: str = "config") -> _ConfigFile:
    """Check a parsed TOML document; raise :class:`ConfigError` naming every mistake."""
    try:
        return _ConfigFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe(exc)}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's TOML document ({} when there is no file)."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the config file (if any) and build :class:`Settings`; raise :class:`ConfigError`."""
    env = os.environ if env is None else env
    paths = app_paths(env)
    parsed = parse_config(read_config_file(paths.config_file), str(paths.config_file))
    # the precedence of sidecar_shared.user.default_user_id, which clients use
    user_id = env.get(USER_ENV) or parsed.user_id or getpass.getuser()
    return Settings(
        paths=paths,
        user_id=user_id,
        workers=parsed.daemon.workers,
        queue_size=parsed.daemon.queue_size,
        embedder_threads=parsed.daemon.embedder_threads,
        ollama_url=parsed.ollama.url or env.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL,
        log_level=parsed.daemon.log_level,
        drain_seconds=parsed.daemon.drain_seconds,
        queue_per_key=parsed.daemon.queue_per_key,
        socket_check_seconds=parsed.daemon.socket_check_seconds,
        mem0=MappingProxyType(parsed.mem0.model_dump(exclude_unset=True)),
        watch=parsed.watch,
        gate=parsed.gate,
        context=parsed.context,
        search=parsed.search,
        consolidate=parsed.consolidate,
    )
