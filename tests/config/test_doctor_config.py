"""``memctl doctor`` checks the config file with the daemon's own parser, so it never calls OK what serve refuses."""

from __future__ import annotations

from pathlib import Path

from sidecar_cli.doctor_local import load_config


def test_a_value_serve_refuses_fails_the_doctor_check(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('[daemon]\nworkers = "four"\nqueue_sise = 10\n')
    _, check = load_config(config_file)
    assert check.status == "fail"
    assert "daemon.workers" in check.detail and "daemon.queue_sise: unknown key" in check.detail


def test_a_good_file_passes(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('user_id = "ana"\n[gate]\nbackend = "embedded"\n')
    config, check = load_config(config_file)
    assert check.status == "ok" and config["user_id"] == "ana"
