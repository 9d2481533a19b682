"""The whole config file is parsed into typed, frozen sub-configs at load; every mistake is named."""

from __future__ import annotations

import dataclasses
import getpass
from pathlib import Path

import pytest
from pydantic import ValidationError

from sidecar.config.settings import ConfigError, load_settings
from sidecar_shared.user import default_user_id


def settings_from(tmp_path: Path, text: str, **env: str):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text)
    return load_settings({"SIDECAR_HOME": str(home), **env})


def test_no_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings({"SIDECAR_HOME": str(tmp_path)})
    assert (settings.workers, settings.queue_size, settings.log_level) == (4, 256, "INFO")
    assert settings.gate.backend == "embedded" and settings.gate.reconciler_backend == "embedded"
    assert settings.watch.on and settings.watch.rescan_seconds == 30.0
    assert settings.context.threshold_tokens == 2000 and settings.context.project_dirs == ()
    assert settings.search.hybrid and settings.search.keyword_context == "previous+date"


def test_values_are_typed_and_paths_expanded(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[daemon]\nworkers = 2\nlog_level = "debug"\n'
                                       '[watch]\ngeneric_dirs = ["~/logs"]\ndebounce_ms = 50\n'
                                       '[watch.enabled]\naider = false\n'
                                       '[gate]\nbackend = "ollama"\nreconciler = "embedded"\nnum_ctx = 4096\n'
                                       '[context]\nproject_dirs = ["~/p", {path = "/q", agent_id = "codex"}]\n')
    assert settings.workers == 2 and settings.log_level == "DEBUG"
    assert settings.watch.generic_dirs == (Path.home() / "logs",) and settings.watch.debounce_ms == 50.0
    assert settings.watch.enabled == {"aider": False}
    assert settings.gate.backend == "ollama" and settings.gate.reconciler_backend == "embedded"
    first, second = settings.context.project_dirs
    assert first.path == Path.home() / "p" and first.scope("me") == {"user_id": "me"}
    assert second.path == Path("/q") and second.scope("me") == {"agent_id": "codex"}


def test_settings_and_sections_are_frozen(tmp_path: Path) -> None:
    settings = load_settings({"SIDECAR_HOME": str(tmp_path)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.workers = 9  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.gate.backend = "ollama"  # type: ignore[misc]


@pytest.mark.parametrize("text, named", [
    ('[daemon]\nqueue_sise = 10\n', "daemon.queue_sise: unknown key"),
    ('[daemon]\nworkers = "four"\n', "daemon.workers"),
    ('[daemon]\nworkers = 0\n', "daemon.workers"),
    ('[gate]\nbackend = "olama"\n', "gate.backend"),
    ('[context]\nproject_dirs = [{user_id = "x"}]\n', "context.project_dirs.0.path"),
    ('[context]\nsummariser = "llm"\n', "context.summariser"),
    ('[watch]\naider_projects = "/one/folder"\n', "watch.aider_projects"),
    ('[watch.enabled]\nclaude = true\n', "watch.enabled"),
    ('[search]\nkeyword_context = "none"\n', "search.keyword_context"),
    ('user_id = 7\n', "user_id"),
    ('[mem0]\nvector_store = 1\n[gate]\nmodel = 3\n', "gate.model"),
    ('colour = "blue"\n', "colour: unknown key"),
])
def test_each_mistake_is_one_clear_line(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, text)
    message = str(caught.value)
    assert named in message and "\n" not in message and "Traceback" not in message


def test_all_mistakes_are_reported_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, '[daemon]\nworkers = "four"\n[gate]\nbackend = "olama"\n')
    assert "daemon.workers" in str(caught.value) and "gate.backend" in str(caught.value)
    assert "'olama'" in str(caught.value)


def test_one_default_user_for_the_daemon_and_every_client(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    env = {"SIDECAR_HOME": home}
    assert load_settings(env).user_id == default_user_id(env) == getpass.getuser()
    configured = settings_from(tmp_path, 'user_id = "carol"\n')
    assert configured.user_id == default_user_id(env) == "carol"
    with_env = {**env, "SIDECAR_USER": "dave"}
    assert load_settings(with_env).user_id == default_user_id(with_env) == "dave"


def test_a_client_ignores_a_broken_config_file_for_the_default_user(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("user_id = [\n")
    assert default_user_id({"SIDECAR_HOME": str(home)}) == getpass.getuser()


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434", "localhost:11434", "https://gpu.lan/ollama",
                                 "http://[::1]:11434", "ollama"])
def test_ollama_urls_in_the_forms_ollama_host_takes(tmp_path: Path, url: str) -> None:
    assert settings_from(tmp_path, f'[ollama]\nurl = "{url}"\n').ollama_url == url


@pytest.mark.parametrize("url", ["", "ftp://host", "http://host name", "http:/host"])
def test_ollama_urls_that_cannot_work_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="ollama.url"):
        settings_from(tmp_path, f'[ollama]\nurl = "{url}"\n')
