"""memctl doctor: healthy daemon, daemon down, unsafe socket folder, stale lock, Ollama settings."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


from sidecar.testing.ollama_server import FakeOllamaServer

from sidecar.store.embedder import MODEL_SHA256, model_path
from sidecar.testing.waiting import ready_limit
from sidecar_cli import doctor_local
from sidecar_shared import exitcodes
from sidecar_shared.paths import app_paths

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")


def doctor(env: dict[str, str] | None = None, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, "doctor", *args], env=env or dict(os.environ), capture_output=True, text=True,
                          timeout=ready_limit())


def checks_by_name(result: subprocess.CompletedProcess) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(result.stdout)["checks"]}


def test_a_healthy_daemon_passes_every_check(daemon):
    Path(os.environ["HOME"], ".claude", "projects").mkdir(parents=True)
    result = doctor(daemon.env, "--json")
    assert result.returncode == exitcodes.OK, result.stdout
    checks = checks_by_name(result)
    assert {c["status"] for c in checks.values()} == {"ok"}, checks
    for name in ("daemon", "socket folder", "one daemon per store", "store", "embedded model", "ollama",
                 "telemetry off", "free disk", "transcript sources"):
        assert name in checks
    assert str(daemon.pid) in checks["one daemon per store"]["detail"]
    assert "sha256 verified" in checks["embedded model"]["detail"]
    text = doctor(daemon.env)
    assert text.returncode == 0 and "all checks passed" in text.stdout

    runtime_dir = app_paths(daemon.env).runtime_dir
    runtime_dir.chmod(0o755)
    try:
        flagged = doctor(daemon.env, "--json")
    finally:
        runtime_dir.chmod(0o700)
    assert flagged.returncode == exitcodes.ERROR
    folder = checks_by_name(flagged)["socket folder"]
    assert folder["status"] == "fail" and "0755" in folder["detail"]
    assert folder["fix"] == f"chmod 700 {runtime_dir}"


def test_daemon_down_fails_with_the_start_command_and_still_runs_offline_checks(isolated_home):
    result = doctor()
    assert result.returncode == exitcodes.ERROR
    assert "FAIL  daemon" in result.stdout and "fix: memctl serve" in result.stdout
    checks = checks_by_name(doctor(None, "--json"))
    assert checks["daemon"]["status"] == "fail" and "memctl service start" in checks["daemon"]["fix"]
    assert checks["embedded model"]["status"] == "ok" and checks["free disk"]["status"] in ("ok", "warn")
    assert checks["telemetry off"]["status"] == "skip"
    assert checks["transcript sources"]["status"] == "warn"  # the test HOME has no agent folders


def test_a_lock_held_without_a_daemon_is_reported_with_its_pid(isolated_home):
    paths = app_paths()
    paths.data_dir.mkdir(parents=True)
    paths.lock_path.write_text(f"{os.getpid()}\n")
    with paths.lock_path.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        check = checks_by_name(doctor(None, "--json"))["one daemon per store"]
    assert check["status"] == "fail" and check["fix"].startswith(f"kill {os.getpid()}")
    assert checks_by_name(doctor(None, "--json"))["one daemon per store"]["status"] == "ok"


def test_a_store_written_by_another_embedder_is_flagged_offline(isolated_home):
    paths = app_paths()
    (paths.data_dir / "store").mkdir(parents=True)
    (paths.data_dir / "store" / "store.json").write_text(json.dumps({"embedder": "ollama/nomic-embed-text",
                                                                      "dims": 768}))
    check = checks_by_name(doctor(None, "--json"))["store"]
    assert check["status"] == "fail" and "768" in check["detail"] and "memctl export" in check["fix"]


@pytest.fixture
def fake_ollama():
    with FakeOllamaServer() as server:
        yield server


def ollama_config(url: str, **gate: object) -> dict:
    return {"ollama": {"url": url}, "gate": {"backend": "ollama", **gate}}


def test_ollama_checks_models_and_num_ctx(fake_ollama, tmp_path):
    config_file = tmp_path / "config.toml"
    checks = doctor_local.check_ollama(ollama_config(fake_ollama.base_url, model="qwen2.5:1.5b", num_ctx=2048),
                                       {}, config_file)
    by_name = {c.name: c for c in checks}
    assert by_name["ollama"].status == "ok"
    assert by_name["ollama model (judge)"].status == "ok" and by_name["ollama model (reconciler)"].status == "ok"
    assert by_name["judge num_ctx"].status == "fail" and "num_ctx = 4096" in by_name["judge num_ctx"].fix

    missing = doctor_local.check_ollama(
        {**ollama_config(fake_ollama.base_url, model="qwen3:4b", num_ctx=8192),
         "mem0": {"embedder": {"provider": "ollama", "config": {"model": "nomic-embed-text"}}}}, {}, config_file)
    by_name = {c.name: c for c in missing}
    assert by_name["ollama model (judge)"].fix == "ollama pull qwen3:4b"
    assert by_name["ollama model (embedder)"].fix == "ollama pull nomic-embed-text"
    assert by_name["judge num_ctx"].status == "ok"

    fake_ollama.stop()
    down = doctor_local.check_ollama(ollama_config(fake_ollama.base_url), {}, config_file)
    assert [(c.name, c.status) for c in down] == [("ollama", "fail")] and "ollama serve" in down[0].fix


def test_ollama_is_not_required_when_nothing_uses_it(tmp_path):
    config = {"ollama": {"url": "http://127.0.0.1:9"}, "gate": {"backend": "embedded", "num_ctx": 512}}
    checks = doctor_local.check_ollama(config, {}, tmp_path / "c.toml")
    assert [(c.name, c.status) for c in checks] == [("ollama", "ok")]


def test_only_the_reconciler_on_ollama_still_needs_its_model(fake_ollama, tmp_path):
    config = {"ollama": {"url": fake_ollama.base_url}, "gate": {"reconciler": "ollama", "model": "mistral"}}
    by_name = {c.name: c for c in doctor_local.check_ollama(config, {}, tmp_path / "c.toml")}
    assert "ollama model (judge)" not in by_name
    assert by_name["ollama model (reconciler)"].fix == "ollama pull mistral"


def test_the_client_side_model_checksum_matches_the_daemons():
    assert doctor_local.MODEL_SHA256 == MODEL_SHA256
    assert doctor_local.model_file_path(None) == model_path()
    assert doctor_local.check_model(None, True).status == "ok"


def test_a_corrupt_model_file_fails_with_the_reinstall_command(tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    check = doctor_local.check_model(str(fake), True)
    assert check.status == "fail" and check.fix == doctor_local.MODEL_REINSTALL


def test_configured_transcript_folders_that_are_missing_are_warned(tmp_path):
    present = tmp_path / "generic"
    present.mkdir()
    config = {"watch": {"generic_dirs": [str(present), str(tmp_path / "gone")], "enabled": {"claude-code": False}}}
    home = tmp_path / "home"
    (home / ".claude" / "projects").mkdir(parents=True)
    checks = doctor_local.check_sources(config, {"HOME": str(home)}, tmp_path / "c.toml", 3)
    statuses = {(c.name, c.status) for c in checks}
    assert statuses == {("transcript folder", "warn"), ("transcript sources", "ok")}
    ok = next(c for c in checks if c.status == "ok")
    assert str(present) in ok.detail and "claude" not in ok.detail and "3 files" in ok.detail
