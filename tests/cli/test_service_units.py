"""The rendered systemd unit and launchd plist (``memctl service`` commands: test_service_commands.py)."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.waiting import ready_limit
from stand_ins import make_executable
from sidecar_cli import service_render as svc
from sidecar_shared import paths
from sidecar_shared.exitcodes import ALREADY_RUNNING, CONFIG
from sidecar_shared.paths import PathTooLong

OPT_OUTS = {
    "MEM0_TELEMETRY": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "POSTHOG_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "PYTHONUNBUFFERED": "1",
}


def _unit_settings(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every setting; repeated keys such as Environment= are kept."""
    section, settings = "", []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.append((section, key, value))
    return settings


def _service_values(text: str, key: str) -> list[str]:
    return [v for s, k, v in _unit_settings(text) if s == "Service" and k == key]


def test_unit_has_the_required_service_settings(memctl):
    unit = svc.render_systemd_unit(memctl, {})
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "ExecStart": f"{memctl} serve",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "Restart": "on-failure",
        "RestartSec": "2",
        "RestartPreventExitStatus": f"{ALREADY_RUNNING} {CONFIG}",
        "RuntimeDirectory": "agent-memory",
        "RuntimeDirectoryMode": "0700",
        "TimeoutStartSec": "300",
        "TimeoutStopSec": "15",
        "WatchdogSec": "30",
    }
    for key, value in expected.items():
        assert _service_values(unit, key) == [value], key
    assert ("Install", "WantedBy", "default.target") in _unit_settings(unit)
    assert "{" not in unit and "}" not in unit


def test_unit_environment_has_opt_outs_and_no_path_overrides_by_default(memctl):
    unit = svc.render_systemd_unit(memctl, {"XDG_RUNTIME_DIR": "/run/user/1000", "PATH": "/usr/bin"})
    env = dict(v.split("=", 1) for v in _service_values(unit, "Environment"))
    assert env == OPT_OUTS


def test_unit_carries_the_installers_path_variables(memctl, tmp_path):
    home = tmp_path / "store"
    unit = svc.render_systemd_unit(memctl, {"SIDECAR_HOME": str(home), "XDG_DATA_HOME": "/srv/data"})
    env = dict(v.split("=", 1) for v in _service_values(unit, "Environment"))
    assert env["SIDECAR_HOME"] == str(home)
    assert env["XDG_DATA_HOME"] == "/srv/data"


def test_unit_rejects_relative_memctl_and_overlong_socket(memctl, tmp_path):
    with pytest.raises(ValueError, match="absolute"):
        svc.render_systemd_unit("venv/bin/memctl", {})
    deep = tmp_path / ("d" * 120)
    with pytest.raises(PathTooLong, match="bytes"):
        svc.render_systemd_unit(memctl, {"SIDECAR_HOME": str(deep)})


def _verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    unit_dir = tmp_path / "units"
    unit_dir.mkdir(exist_ok=True)
    (unit_dir / svc.UNIT_NAME).write_text(unit_text)
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", "--man=no", str(unit_dir / svc.UNIT_NAME)],
        env=env, capture_output=True, text=True, timeout=ready_limit(),
    )


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze not installed (Debian/Ubuntu package: systemd)",
)


@needs_systemd
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    # A space, a specifier and a variable in the path exercise quoting and escaping:
    # verify fails if the ExecStart= executable cannot be found as written.
    odd = make_executable(tmp_path / "my venv %h ${HOME}" / "bin" / "memctl")
    result = _verify(svc.render_systemd_unit(odd, {"SIDECAR_HOME": str(tmp_path / "a b")}), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


@needs_systemd
def test_systemd_analyze_verify_catches_a_broken_unit(memctl, tmp_path):
    broken = svc.render_systemd_unit(memctl, {}).replace("Restart=on-failure", "Restart=sometimes")
    result = _verify(broken, tmp_path)
    assert "sometimes" in result.stderr


def _plist_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _plist_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _plist_strings(v)]
    return []


def test_plist_round_trips_with_absolute_paths(memctl, tmp_path):
    home = tmp_path / "Users" / "ada"
    plist = plistlib.loads(svc.render_launchd_plist(memctl, home, 501, {"TMPDIR": "/var/folders/x/T/"}))
    assert plist["Label"] == "io.agent-memory.daemon"
    assert plist["ProgramArguments"] == [str(memctl), "serve"]
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["ExitTimeOut"] == 15
    assert isinstance(plist["ThrottleInterval"], int) and plist["ThrottleInterval"] > 0
    logs = home / "Library" / "Logs" / "agent-memory"
    assert Path(plist["StandardOutPath"]).parent == logs
    assert Path(plist["StandardErrorPath"]).parent == logs
    assert plist["EnvironmentVariables"] == {**OPT_OUTS, "TMPDIR": "/var/folders/x/T"}
    for text in _plist_strings(plist):
        assert "~" not in text and "$" not in text, text
        if "/" in text:
            assert text.startswith("/"), text


def test_plist_escapes_xml_in_paths(tmp_path):
    odd = make_executable(tmp_path / "a&b <c>" / "memctl")
    plist = plistlib.loads(svc.render_launchd_plist(odd, tmp_path, 501, {"SIDECAR_HOME": "/x&y"}))
    assert plist["ProgramArguments"][0] == str(odd)
    assert plist["EnvironmentVariables"]["SIDECAR_HOME"] == "/x&y"


def test_plist_rejects_relative_paths(memctl):
    with pytest.raises(ValueError, match="absolute"):
        svc.render_launchd_plist(memctl, "Users/ada", 501, {})


def _tmpdir_for_socket_length(length: int, uid: int) -> str:
    tail = f"/agent-memory-{uid}/daemon.sock"
    return "/" + "t" * (length - len(tail) - 1)


def test_launchd_socket_path_length_limit_is_103_bytes(memctl, tmp_path):
    fits = _tmpdir_for_socket_length(svc.MACOS_MAX_SOCKET_PATH, 501)
    assert len(str(svc.launchd_socket_path(501, {"TMPDIR": fits}))) == 103
    svc.render_launchd_plist(memctl, tmp_path, 501, {"TMPDIR": fits})
    too_long = _tmpdir_for_socket_length(104, 501)
    with pytest.raises(PathTooLong, match=r"104 bytes.*103.*SIDECAR_HOME"):
        svc.render_launchd_plist(memctl, tmp_path, 501, {"TMPDIR": too_long})


def test_launchd_socket_path_matches_the_daemons_own_resolution(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(os, "getuid", lambda: 501)
    for env in ({"TMPDIR": str(tmp_path)}, {"SIDECAR_HOME": str(tmp_path / "home")}):
        assert svc.launchd_socket_path(501, env) == paths.app_paths(env).socket_path
