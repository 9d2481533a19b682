"""The rendered systemd unit and launchd plist, and `memctl service` driving stand-in managers."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sidecar.testing.waiting import ready_limit
from sidecar_cli import service as service_cli, service_render as svc
from sidecar_shared import paths
from sidecar_shared.exitcodes import ALREADY_RUNNING, CONFIG
from sidecar_shared.paths import PathTooLong
from sidecar_cli.service import service

OPT_OUTS = {
    "MEM0_TELEMETRY": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "POSTHOG_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "PYTHONUNBUFFERED": "1",
}


def _executable(path: Path, body: str = "exit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


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


@pytest.fixture
def memctl(tmp_path) -> Path:
    return _executable(tmp_path / "venv" / "bin" / "memctl")


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
    odd = _executable(tmp_path / "my venv %h ${HOME}" / "bin" / "memctl")
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
    odd = _executable(tmp_path / "a&b <c>" / "memctl")
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


@pytest.fixture
def fake_bin(tmp_path, monkeypatch) -> Path:
    """A PATH holding only stand-in systemctl/launchctl that log their arguments."""
    bin_dir = tmp_path / "fakebin"
    log = tmp_path / "calls.log"
    body = (f'echo "$0 $*" >> "{log}"\n'
            'if [ -n "$FAKE_STDOUT" ]; then printf "%b" "$FAKE_STDOUT"; fi\n'
            'if [ -n "$FAKE_STDERR" ]; then echo "$FAKE_STDERR" >&2; fi\n'
            'exit "${FAKE_RC:-0}"\n')
    for name in ("systemctl", "launchctl"):
        _executable(bin_dir / name, body)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "SIDECAR_HOME"):
        monkeypatch.delenv(name, raising=False)
    return log


def _calls(log: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()] if log.exists() else []


def test_install_dry_run_prints_unit_and_commands_and_runs_nothing(fake_bin, memctl):
    result = CliRunner().invoke(service, ["install", "--dry-run", "--memctl", str(memctl)])
    assert result.exit_code == 0, result.output
    unit_path = Path(os.environ["HOME"]) / ".config" / "systemd" / "user" / "agent-memory.service"
    assert f"would write {unit_path}:" in result.output
    assert f"ExecStart={memctl} serve" in result.output
    assert "would run: systemctl --user daemon-reload" in result.output
    assert "would run: systemctl --user enable --now agent-memory.service" in result.output
    assert "loginctl enable-linger" in result.output
    assert not unit_path.exists()
    assert _calls(fake_bin) == []


def test_install_defaults_to_this_installations_memctl(fake_bin):
    result = CliRunner().invoke(service, ["install", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    exec_start = [line for line in json.loads(result.output)["steps"][0]["content"].splitlines()
                  if line.startswith("ExecStart=")]
    assert exec_start == [f"ExecStart={svc.find_memctl()} serve"]
    assert svc.find_memctl().is_absolute() and svc.find_memctl().name == "memctl"


def test_install_writes_unit_then_reloads_and_enables(fake_bin, memctl):
    result = CliRunner().invoke(service, ["install", "--memctl", str(memctl)])
    assert result.exit_code == 0, result.output
    unit_path = svc.systemd_unit_path()
    assert unit_path.read_text() == svc.render_systemd_unit(memctl, os.environ)
    assert _calls(fake_bin) == ["--user daemon-reload", "--user enable --now agent-memory.service"]


def test_uninstall_disables_removes_and_reloads(fake_bin, memctl):
    CliRunner().invoke(service, ["install", "--memctl", str(memctl)])
    fake_bin.unlink()
    result = CliRunner().invoke(service, ["uninstall"])
    assert result.exit_code == 0, result.output
    assert not svc.systemd_unit_path().exists()
    assert _calls(fake_bin) == ["--user disable --now agent-memory.service", "--user daemon-reload"]


@pytest.mark.parametrize("action", ["start", "stop", "restart"])
def test_lifecycle_commands(fake_bin, action):
    assert CliRunner().invoke(service, [action]).exit_code == 0
    assert _calls(fake_bin) == [f"--user {action} agent-memory.service"]


def test_manager_failure_is_a_one_line_click_error(fake_bin, monkeypatch):
    monkeypatch.setenv("FAKE_RC", "1")
    monkeypatch.setenv("FAKE_STDERR", "Failed to connect to bus: No medium found")
    result = CliRunner().invoke(service, ["restart"])
    assert result.exit_code == 1
    trace, message = result.output.strip().splitlines()
    assert trace == "run: systemctl --user restart agent-memory.service"
    assert message.startswith("Error: `systemctl --user restart")
    assert "(exit 1): Failed to connect to bus" in message and "enable-linger" in message


def test_missing_systemctl_is_a_click_error(fake_bin, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(service, ["start"])
    assert result.exit_code == 1
    assert "systemctl not found" in result.output


def test_status_json_parses_systemctl_show(fake_bin, monkeypatch):
    monkeypatch.setenv("FAKE_STDOUT", r"ActiveState=active\nSubState=running\nMainPID=4242\n")
    result = CliRunner().invoke(service, ["status", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["ActiveState"] == "active" and state["MainPID"] == "4242"
    assert state["installed"] is False


def test_logs_dry_run_names_journalctl(fake_bin):
    result = CliRunner().invoke(service, ["logs", "--dry-run", "-n", "20", "-f"])
    assert result.exit_code == 0
    assert "journalctl --user -u agent-memory.service -n 20 --no-pager -f" in result.output
    assert _calls(fake_bin) == []


def test_macos_install_bootstraps_the_plist(fake_bin, memctl, monkeypatch):
    monkeypatch.setattr(service_cli, "_platform", lambda: "darwin")
    monkeypatch.setenv("TMPDIR", "/var/folders/x/T/")
    home, uid = Path(os.environ["HOME"]), os.getuid()
    result = CliRunner().invoke(service, ["install", "--memctl", str(memctl)])
    assert result.exit_code == 0, result.output
    plist_path = home / "Library" / "LaunchAgents" / "io.agent-memory.daemon.plist"
    assert plistlib.loads(plist_path.read_bytes())["ProgramArguments"] == [str(memctl), "serve"]
    assert (home / "Library" / "Logs" / "agent-memory").is_dir()
    assert _calls(fake_bin) == [
        f"bootout gui/{uid}/io.agent-memory.daemon",
        f"bootstrap gui/{uid} {plist_path}",
    ]


def test_macos_restart_and_socket_too_long(fake_bin, memctl, monkeypatch):
    monkeypatch.setattr(service_cli, "_platform", lambda: "darwin")
    assert CliRunner().invoke(service, ["restart"]).exit_code == 0
    assert _calls(fake_bin) == [f"kickstart -k gui/{os.getuid()}/io.agent-memory.daemon"]
    monkeypatch.setenv("TMPDIR", "/" + "t" * 100)
    result = CliRunner().invoke(service, ["install", "--dry-run", "--memctl", str(memctl)])
    assert result.exit_code == 1 and "unix sockets allow 103" in result.output


def test_service_module_stays_a_thin_client():
    heavy = ("mem0", "chromadb", "onnxruntime", "watchdog", "sidecar", "zmq")
    code = ("import sys, sidecar_cli.service; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
