"""The systemd unit's sandbox: which settings it writes, the exposure score systemd gives it, and a
real daemon working inside the same restrictions (read-only system and home, no W+X memory)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import running_daemon, short_home, write_config
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_cli import service_render as svc
from sidecar_cli import service_sandbox as sandbox
from sidecar_shared.paths import app_paths

SANDBOX_SITE = Path(__file__).with_name("sandbox_site")
SANDBOX_KEYS = {key for key, _ in sandbox.FILTERS + sandbox.NAMESPACED} | {"IPAddressDeny", "IPAddressAllow",
                                                                           "ReadWritePaths"}


def service_settings(unit: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    in_service = False
    for line in unit.splitlines():
        if line.startswith("["):
            in_service = line == "[Service]"
        elif in_service and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_full_sandbox_lets_the_daemon_write_only_its_own_folders(memctl: Path, isolated_home: Path) -> None:
    env = {"XDG_DATA_HOME": "/srv/data", "XDG_STATE_HOME": "/srv/state"}
    settings = service_settings(svc.render_systemd_unit(memctl, env, namespaces=True))
    for key, value in sandbox.FILTERS + sandbox.NAMESPACED:
        assert value in settings[key], key
    assert settings["ProtectSystem"] == ["strict"] and settings["ProtectHome"] == ["read-only"]
    assert settings["PrivateUsers"] == ["yes"] and settings["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert settings["ReadWritePaths"] == ["-/srv/data/agent-memory -/srv/state/agent-memory/logs"]
    assert settings["IPAddressDeny"] == ["any"] and settings["IPAddressAllow"] == ["localhost"]
    assert svc.systemd_writable_dirs(env) == [Path("/srv/data/agent-memory"), Path("/srv/state/agent-memory/logs")]


def test_install_creates_the_folders_the_sandbox_leaves_writable(memctl: Path, isolated_home: Path) -> None:
    from click.testing import CliRunner

    from sidecar_cli.service import service

    result = CliRunner().invoke(service, ["install", "--dry-run", "--json", "--memctl", str(memctl)])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output)["steps"]
    written = next(i for i, step in enumerate(steps) if "write" in step)
    created = [i for i, step in enumerate(steps) if step.get("mkdir") == str(isolated_home)]
    first_run = next(i for i, step in enumerate(steps) if "run" in step)
    assert created and written < created[0] < first_run  # before systemctl starts the daemon


def test_sidecar_home_and_memory_md_folders_from_the_config_are_writable(memctl: Path, tmp_path: Path) -> None:
    home = tmp_path / "side car"
    project, notes = tmp_path / "proj", tmp_path / "notes"
    write_config(home, f'[context]\nmemory_md = "{notes}/MEMORY.md"\n'
                       f'project_dirs = ["{project}", {{path = "{tmp_path}/other", user_id = "x"}}]\n'
                       '[ollama]\nurl = "http://192.168.1.20:11434"\n')
    settings = service_settings(svc.render_systemd_unit(memctl, {"SIDECAR_HOME": str(home)}, namespaces=True))
    assert settings["ReadWritePaths"] == [f'"-{home}" -{notes} -{project} -{tmp_path}/other']
    # an Ollama on another machine: no loopback-only address list that would cut it off
    assert "IPAddressDeny" not in settings and "IPAddressAllow" not in settings
    assert svc.systemd_writable_dirs({"SIDECAR_HOME": str(home)}) == [home]


def test_without_user_namespaces_only_the_system_call_filters_are_written(memctl: Path) -> None:
    unit = svc.render_systemd_unit(memctl, {}, namespaces=False)
    settings = service_settings(unit)
    for key, value in sandbox.FILTERS:
        assert value in settings[key], key
    for key, _ in sandbox.NAMESPACED:
        assert key not in settings, key
    assert "ReadWritePaths" not in settings and "would not start" in unit


def test_the_user_namespace_probe_agrees_with_unshare() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare not installed")
    cli = subprocess.run(["unshare", "--user", "--map-current-user", "--mount", "sh", "-c",
                          "mount -t tmpfs none /tmp"], capture_output=True, timeout=ready_limit())
    assert sandbox.user_namespaces_usable() == (cli.returncode == 0)


def _exposure(unit: str, tmp_path: Path) -> float:
    folder = tmp_path / f"units-{len(unit)}"
    folder.mkdir()
    (folder / svc.UNIT_NAME).write_text(unit)
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--user", "--no-pager", svc.UNIT_NAME],
                            cwd=folder, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=ready_limit())
    if "--offline" in result.stderr and result.returncode != 0:
        pytest.skip(f"this systemd-analyze has no --offline: {result.stderr.strip()}")
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed (package: systemd)")
def test_systemd_rates_the_sandboxed_unit_ok(memctl: Path, tmp_path: Path) -> None:
    full = svc.render_systemd_unit(memctl, {}, namespaces=True)
    filters_only = svc.render_systemd_unit(memctl, {}, namespaces=False)
    bare = "\n".join(line for line in full.splitlines() if line.partition("=")[0] not in SANDBOX_KEYS)
    scores = {name: _exposure(unit, tmp_path) for name, unit in
              (("bare", bare), ("filters", filters_only), ("full", full))}
    print("systemd-analyze security exposure:", scores)
    assert scores["bare"] > 9.0  # what the unit scored before it had a sandbox (UNSAFE)
    assert scores["full"] <= 3.0  # "OK"
    assert scores["filters"] <= 7.0 and scores["full"] < scores["filters"] < scores["bare"]


def _sandbox_works() -> str | None:
    """Why a test daemon cannot be put in the sandbox here (None when it can)."""
    if not sandbox.user_namespaces_usable():
        return "no unprivileged user and mount namespaces here"
    probe = subprocess.run([sys.executable, "-c", "import ctypes; l = ctypes.CDLL(None); "
                            "raise SystemExit(l.prctl(65, 1, 0, 0, 0) != 0)"], timeout=ready_limit())
    return None if probe.returncode == 0 else "the kernel has no PR_SET_MDWE (Linux < 6.3)"


def test_the_daemon_works_inside_the_sandbox(tmp_path: Path) -> None:
    """Read-only system and home, writable /tmp and $SIDECAR_HOME, no writable+executable memory
    (what MemoryDenyWriteExecute= asks of onnxruntime and the rest): the daemon learns, reads
    transcripts under the home folder, writes MEMORY.md and answers."""
    reason = _sandbox_works()
    if reason:
        pytest.skip(reason)
    home = short_home()
    user_home = home / "user-home"
    project = user_home / ".claude" / "projects" / "-work-shop"
    project.mkdir(parents=True)
    write_config(home, 'user_id = "ana"\n[watch]\nrescan_seconds = 2\ndebounce_ms = 50\n')
    env = {"PYTHONPATH": str(SANDBOX_SITE), "SIDECAR_TEST_SANDBOX": "1", "HOME": str(user_home)}
    with running_daemon(home, env=env) as daemon:
        mounts = Path(f"/proc/{daemon.pid}/mountinfo").read_text().splitlines()
        home_mount = next(line.split() for line in mounts if line.split()[4] == str(user_home.resolve()))
        assert "ro" in home_mount[5].split(",")  # the daemon really runs with a read-only home
        added = daemon.client.add("I live in Bergen and I keep bees.", user_id="ana", infer=True)
        assert added["results"] and added["results"][0]["event"] == "ADD"
        (project / "s.jsonl").write_text(json.dumps({
            "type": "user", "sessionId": "s", "uuid": "u1", "cwd": "/work/shop",
            "message": {"role": "user", "content": "I am allergic to shellfish."}}) + "\n")
        learned = wait_until(lambda: [m["memory"] for m in daemon.client.get_all(filters={"user_id": "ana"})["results"]
                                      if "shellfish" in m["memory"]], what="the transcript under ~ to be learned")
        assert learned
        context = wait_until(lambda: (c := daemon.client.call("context", {"query": "bees", "user_id": "ana"}))
                             ["mode"] == "direct" and c, what="MEMORY.md to be written")
        assert "Bergen" in context["text"]
        memory_md = app_paths(daemon.env).data_dir / "memory"
        assert any(memory_md.rglob("MEMORY.md"))
        assert daemon.client.search("bees", filters={"user_id": "ana"})["results"]
    assert not list(user_home.rglob("*.db")) and not (user_home / ".cache").exists()
