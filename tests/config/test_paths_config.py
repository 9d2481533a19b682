from pathlib import Path

import pytest

from sidecar.config.settings import ConfigError, load_settings
from sidecar.store.mem0_config import build_mem0_config
from sidecar.store.meta import EmbedderMismatch, check_or_record, opened
from sidecar.store.mem0_config import EmbedderChoice
from sidecar_shared.paths import PathTooLong, app_paths, ensure_private_dir


def test_sidecar_home_moves_everything(tmp_path: Path):
    paths = app_paths({"SIDECAR_HOME": str(tmp_path)})
    for folder in (paths.config_dir, paths.data_dir, paths.runtime_dir, paths.log_dir):
        assert tmp_path in folder.parents
    assert paths.endpoint == f"ipc://{tmp_path}/run/daemon.sock"


def test_xdg_defaults_without_sidecar_home(tmp_path: Path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    paths = app_paths(env)
    assert paths.config_file == tmp_path / "c" / "agent-memory" / "config.toml"
    assert paths.data_dir == tmp_path / "d" / "agent-memory"
    assert paths.runtime_dir == tmp_path / "agent-memory"


def test_socket_path_length_is_checked(tmp_path: Path):
    paths = app_paths({"SIDECAR_HOME": str(tmp_path / ("x" * 120))})
    with pytest.raises(PathTooLong, match="bytes"):
        paths.check_socket_path()


def test_private_dir_is_0700_even_if_it_existed(tmp_path: Path):
    folder = tmp_path / "run"
    folder.mkdir(mode=0o755)
    ensure_private_dir(folder)
    assert folder.stat().st_mode & 0o777 == 0o700


def write_config(text: str) -> None:
    paths = app_paths()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text)


def test_mem0_table_passes_through_with_our_defaults():
    write_config('user_id = "alice"\n[mem0.llm]\nprovider = "ollama"\n[mem0.llm.config]\nmodel = "llama3.2:1b"\n'
                 '[mem0.vector_store.config]\ncollection_name = "mine"\n')
    settings = load_settings()
    config, choice = build_mem0_config(settings)
    assert settings.user_id == "alice"
    assert config["llm"]["config"]["model"] == "llama3.2:1b"
    assert config["vector_store"]["provider"] == "chroma"
    assert config["vector_store"]["config"]["collection_name"] == "mine"
    assert config["vector_store"]["config"]["path"].startswith(str(settings.paths.data_dir))
    assert config["history_db_path"].startswith(str(settings.paths.data_dir))
    assert choice.embedded and choice.dims == 384 and "embedder" not in config


def test_ollama_embedder_is_passed_to_mem0_with_its_dims():
    write_config('[mem0.embedder]\nprovider = "ollama"\n[mem0.embedder.config]\nmodel = "nomic-embed-text"\n')
    config, choice = build_mem0_config(load_settings())
    assert not choice.embedded and choice.dims == 768
    assert config["embedder"]["config"]["embedding_dims"] == 768


def test_broken_toml_is_a_config_error():
    write_config("user_id = \n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings()


def test_bad_daemon_value_is_a_config_error():
    write_config("[daemon]\nworkers = 0\n")
    with pytest.raises(ConfigError, match="workers"):
        load_settings()


def test_store_refuses_an_embedder_of_other_dimensions(tmp_path: Path):
    check_or_record(tmp_path, EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384))
    opened(tmp_path, EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384))
    check_or_record(tmp_path, EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384))
    with pytest.raises(EmbedderMismatch, match="384.*768|768.*384"):
        check_or_record(tmp_path, EmbedderChoice(False, "ollama/nomic-embed-text", 768))
    with pytest.raises(EmbedderMismatch, match="different model"):
        check_or_record(tmp_path, EmbedderChoice(False, "ollama/all-minilm", 384))


def test_a_store_that_never_opened_records_no_embedder(tmp_path: Path):
    """A first start that fails before the store opens (an Ollama embedder down) must not pin its embedder."""
    check_or_record(tmp_path, EmbedderChoice(False, "ollama/nomic-embed-text", 768))
    check_or_record(tmp_path, EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384))  # no mismatch: nothing recorded
    opened(tmp_path, EmbedderChoice(True, "all-MiniLM-L6-v2-int8", 384))
    with pytest.raises(EmbedderMismatch):
        check_or_record(tmp_path, EmbedderChoice(False, "ollama/nomic-embed-text", 768))
