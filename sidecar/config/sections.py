"""Typed, frozen sub-configs: one model per table of the config file.

Every table is parsed at load, before any component is built, so a mistake is
reported as one line naming the key (``gate.backend: ...``) instead of a
traceback halfway through start-up. Unknown keys are mistakes too: a typo such
as ``queue_sise`` would otherwise be ignored without a word.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from sidecar_shared.protocol import SCOPE_KEYS

AgentName = Literal["claude-code", "codex", "gemini", "aider", "generic"]  # sidecar.learn.parse.AGENTS


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must be a non-empty folder or file path")
        return Path(os.path.expanduser(value))
    return value


FolderPath = Annotated[Path, BeforeValidator(_expand)]
# what OLLAMA_HOST accepts: an optional http(s) scheme, a host, an optional port and path
_HOST = r"(?:[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\])"  # a name, an IPv4 address or a bracketed IPv6 one
_OLLAMA_URL = re.compile(rf"(?:https?://)?{_HOST}(?::\d{{1,5}})?(?:/\S*)?")


class Section(BaseModel):
    """Strict (``workers = "four"`` is an error, not 4), frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DaemonConfig(Section):
    """``[daemon]``: the worker pool and logging."""

    workers: int = Field(4, ge=1, le=64)
    queue_size: int = Field(256, ge=1, le=100_000)
    embedder_threads: int | None = Field(None, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # after SIGTERM, how long running requests may take before the daemon exits without their replies
    drain_seconds: float = Field(10.0, gt=0, le=3600)
    # how many requests of one scope (writes) or one connection (reads) may wait; the rest get `busy`
    queue_per_key: int = Field(64, ge=1, le=100_000)
    # how often the daemon checks that its socket file still exists (and binds it again if not); 0: never
    socket_check_seconds: float = Field(2.0, ge=0, le=3600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class OllamaConfig(Section):
    """``[ollama]``: where the local Ollama listens (default: ``$OLLAMA_HOST`` or 127.0.0.1:11434)."""

    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _OLLAMA_URL.fullmatch(value):
            raise ValueError("must be like http://127.0.0.1:11434 (http or https, a host, an optional port)")
        return value


class WatchConfig(Section):
    """``[watch]``: which agent transcripts the watcher follows."""

    on: bool = True
    enabled: dict[AgentName, bool] = Field(default_factory=dict)
    aider_projects: tuple[FolderPath, ...] = Field((), strict=False)  # TOML arrays are lists
    generic_dirs: tuple[FolderPath, ...] = Field((), strict=False)
    rescan_seconds: float = Field(30.0, gt=0, le=86_400)
    debounce_ms: float = Field(300.0, ge=0, le=60_000)


GateMode = Literal["auto", "review", "off"]  # sidecar.learn.review.policy
# the transcript agents, plus session.update turns and add(infer=True) conversations
GateSource = Literal["claude-code", "codex", "gemini", "aider", "generic", "session", "conversation"]


class GateConfig(Section):
    """``[gate]``: the write gate's judge and reconciler, retry backoff, and what it may learn unasked.

    ``mode`` (and ``[gate.sources]`` per source) says what happens to the facts it
    finds: ``auto`` stores them, ``review`` holds them in the review inbox until
    the user accepts them, ``off`` learns nothing from that source.
    """

    mode: GateMode = "auto"
    sources: dict[GateSource, GateMode] = Field(default_factory=dict)
    backend: Literal["embedded", "ollama"] = "embedded"
    reconciler: Literal["embedded", "ollama"] | None = None  # None: same as backend
    model: str | None = None
    num_ctx: int | None = Field(None, ge=512, le=262_144)
    retry_base_s: float = Field(1.0, gt=0, le=3600)
    retry_max_s: float = Field(300.0, gt=0, le=86_400)
    # a job whose judge or reconciler fails this many times (a reply that is not JSON, an error) is
    # dead-lettered: kept, not retried until `memctl queue retry`. An unreachable Ollama never counts.
    max_attempts: int = Field(5, ge=1, le=1000)

    @property
    def reconciler_backend(self) -> str:
        return self.reconciler or self.backend

    def mode_for(self, source: str) -> str:
        """The mode of one source (a :data:`GateSource`): its own entry, else ``mode``."""
        return self.sources.get(source, self.mode)  # type: ignore[call-overload]


class ProjectDir(Section):
    """One project whose ``MEMORY.md`` mirrors a scope (default: the configured user)."""

    path: FolderPath
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    def scope(self, default_user: str) -> dict[str, str]:
        scope = {key: value for key in SCOPE_KEYS if (value := getattr(self, key))}
        return scope or {"user_id": default_user}


def _project_entry(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class ContextConfig(Section):
    """``[context]``: the MemoryManager hub, sessions, the summariser and MEMORY.md sync."""

    memory_md: FolderPath | None = None
    project_dirs: tuple[Annotated[ProjectDir, BeforeValidator(_project_entry)], ...] = Field((), strict=False)
    threshold_tokens: int = Field(2000, ge=1)
    top_k: int = Field(8, ge=1, le=1000)
    max_history: int = Field(20, ge=2)
    summariser: Literal["extractive", "ollama"] = "extractive"
    summariser_model: str | None = None
    num_ctx: int | None = Field(None, ge=512, le=262_144)
    md_debounce_s: float = Field(0.5, ge=0, le=3600)
    # A drill switch: the hub treats the long-term store as dead, to check that contexts degrade.
    simulate_longterm_failure: bool = False


class ConsolidateConfig(Section):
    """``[consolidate]``: the background consolidation pass (``memctl consolidate`` runs it by hand).

    ``interval_hours = 0`` (the default) never runs it; otherwise every scope is
    consolidated that often, the first time one interval after the daemon starts.
    """

    interval_hours: float = Field(0.0, ge=0, le=24 * 366)


class SearchConfig(Section):
    """``[search]``: hybrid retrieval (dense + keyword) and the keyword channel's context."""

    hybrid: bool = True
    keyword_context: Literal["previous+date", "date"] = "previous+date"
