"""``memctl service`` driving stand-in systemctl/launchctl: install, uninstall, lifecycle, status, logs."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stand_ins import make_executable
from sidecar_cli import service as service_cli, service_render as svc
from sidecar_cli.service import service


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
        make_executable(bin_dir / name, body)
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


def test_failed_install_leaves_no_unit_behind(fake_bin, memctl, monkeypatch):
    monkeypatch.setenv("FAKE_RC", "1")
    monkeypatch.setenv("FAKE_STDERR", "Failed to connect to bus: No medium found")
    result = CliRunner().invoke(service, ["install", "--memctl", str(memctl)])
    assert result.exit_code == 1
    assert not svc.systemd_unit_path().exists()
    assert f"removed what install wrote: {svc.systemd_unit_path()}" in result.output


def test_failed_reinstall_puts_the_previous_unit_back(fake_bin, memctl, monkeypatch):
    unit = svc.systemd_unit_path()
    unit.parent.mkdir(parents=True)
    unit.write_text("# the unit that worked\n")
    monkeypatch.setenv("FAKE_RC", "1")
    assert CliRunner().invoke(service, ["install", "--memctl", str(memctl)]).exit_code == 1
    assert unit.read_text() == "# the unit that worked\n"


@pytest.mark.parametrize("code", [0, 3, 4])
def test_status_exits_with_the_service_managers_status(fake_bin, monkeypatch, code):
    monkeypatch.setenv("FAKE_RC", str(code))
    result = CliRunner().invoke(service, ["status"])
    assert result.exit_code == code
    assert _calls(fake_bin) == ["--user status --no-pager agent-memory.service"]
