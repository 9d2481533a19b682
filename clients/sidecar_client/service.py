"""``memctl service``: run the daemon as a user service (systemd on Linux, launchd on macOS).

The unit and plist are rendered from the templates in ``systemd/`` and
``launchd/`` with absolute paths of this installation, because neither
systemd's ExecStart= nor a plist expands ``~`` or shell variables.
Thin client: imports only the standard library, click and our own paths module.
"""

from __future__ import annotations

import json
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import click

from .paths import APP_NAME, HOME_ENV, SOCKET_NAME, PathTooLong, app_paths

UNIT_NAME = f"{APP_NAME}.service"
LAUNCHD_LABEL = "io.agent-memory.daemon"
# sun_path on macOS is 104 bytes including the terminating NUL.
MACOS_MAX_SOCKET_PATH = 103
SERVICE_ENV: dict[str, str] = {
    "PYTHONUNBUFFERED": "1",
    "MEM0_TELEMETRY": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "POSTHOG_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
}
# Variables that decide where paths.app_paths() puts things: copied from the
# installing shell so the service and that shell's memctl find the same socket.
SYSTEMD_PATH_VARS = (HOME_ENV, "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
LAUNCHD_PATH_VARS = (HOME_ENV, "TMPDIR", "XDG_RUNTIME_DIR")
_TEMPLATE_ROOTS = (Path(__file__).with_name("service_templates"), Path(__file__).resolve().parents[2])


def _template(relative: str) -> str:
    for root in _TEMPLATE_ROOTS:
        candidate = root / relative
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"service template {relative} not found under {_TEMPLATE_ROOTS}")


def service_environment(env: Mapping[str, str], path_vars: tuple[str, ...]) -> dict[str, str]:
    """Telemetry opt-outs plus the path-deciding variables set in ``env``, made absolute."""
    variables = dict(SERVICE_ENV)
    for name in path_vars:
        value = env.get(name)
        if value:
            variables[name] = os.path.abspath(os.path.expanduser(value))
    return variables


def check_socket_path(path: Path, limit: int) -> None:
    """Raise :class:`PathTooLong` if ``path`` exceeds ``limit`` bytes (no room for the NUL)."""
    size = len(os.fsencode(str(path)))
    if size > limit:
        raise PathTooLong(
            f"socket path {path} is {size} bytes but unix sockets allow {limit} here; "
            f"set {HOME_ENV} to a shorter folder and install again"
        )


def _absolute(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_absolute():
        raise ValueError(f"{what} must be an absolute path, got {path}")
    return path


def _systemd_quote(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"newline in unit value {value!r}")
    # Specifiers (%h...) are expanded everywhere; $VARS are not in an ExecStart= path
    # or in Environment=, so "$" needs no escaping in what we write.
    value = value.replace("%", "%%")
    if any(c in value for c in " \t\"'\\"):
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def render_systemd_unit(memctl_path: str | Path, env: Mapping[str, str] | None = None) -> str:
    """The user unit running ``<memctl_path> serve``; ``env`` is the installing shell's environment."""
    memctl = _absolute(memctl_path, "memctl path")
    variables = service_environment(env or {}, SYSTEMD_PATH_VARS)
    if HOME_ENV in variables:
        app_paths({HOME_ENV: variables[HOME_ENV]}).check_socket_path()
    lines = [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in variables.items()]
    return _template("systemd/agent-memory.service").format(
        exec_start=_systemd_quote(str(memctl)), environment="\n".join(lines)
    )


def launchd_socket_path(uid: int, variables: Mapping[str, str]) -> Path:
    """Where the daemon will bind on macOS, given the plist's environment.

    Mirrors paths.app_paths() on darwin, but for an explicit uid so it can be
    computed (and tested) on any platform.
    """
    if variables.get(HOME_ENV):
        return app_paths({HOME_ENV: variables[HOME_ENV]}).socket_path
    xdg = variables.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg) / APP_NAME / SOCKET_NAME
    return Path(variables.get("TMPDIR") or "/tmp") / f"{APP_NAME}-{uid}" / SOCKET_NAME


def launchd_log_dir(home: Path) -> Path:
    """Folder for the LaunchAgent's stdout/stderr files."""
    return home / "Library" / "Logs" / APP_NAME


def render_launchd_plist(
    memctl_path: str | Path, home: str | Path, uid: int, env: Mapping[str, str] | None = None
) -> bytes:
    """The LaunchAgent plist; raises :class:`PathTooLong` if the socket path would not fit."""
    memctl = _absolute(memctl_path, "memctl path")
    home = _absolute(home, "home")
    variables = service_environment(env or {}, LAUNCHD_PATH_VARS)
    check_socket_path(launchd_socket_path(uid, variables), MACOS_MAX_SOCKET_PATH)
    entries = [
        f"    <key>{escape(k)}</key>\n    <string>{escape(v)}</string>" for k, v in variables.items()
    ]
    text = _template("launchd/io.agent-memory.daemon.plist").format(
        memctl=escape(str(memctl)),
        log_dir=escape(str(launchd_log_dir(home))),
        environment="\n".join(entries),
    )
    data = text.encode("utf-8")
    plistlib.loads(data)  # a template or escaping bug must fail here, not in launchctl
    return data


def systemd_unit_path(env: Mapping[str, str] | None = None) -> Path:
    """~/.config/systemd/user/agent-memory.service (honouring ``XDG_CONFIG_HOME``)."""
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config"
    return Path(config) / "systemd" / "user" / UNIT_NAME


def launchd_plist_path(home: str | Path) -> Path:
    """~/Library/LaunchAgents/io.agent-memory.daemon.plist."""
    return Path(home) / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def find_memctl() -> Path:
    """Absolute path of this installation's ``memctl`` (the venv's bin/memctl)."""
    sibling = Path(sys.executable).parent / "memctl"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return Path(os.path.abspath(sibling))
    if Path(sys.argv[0]).name == "memctl" and Path(sys.argv[0]).exists():
        return Path(os.path.abspath(sys.argv[0]))
    found = shutil.which("memctl")
    if found:
        return Path(os.path.abspath(found))
    raise click.ClickException("cannot find the memctl executable; pass --memctl /abs/path/memctl")


@dataclass
class Plan:
    """What a service action writes, removes and runs, in order."""

    action: str
    platform: str
    steps: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True, capture: bool = True) -> Plan:
        self.steps.append({"run": list(argv), "check": check, "capture": capture})
        return self


def _platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "darwin"
    raise click.ClickException(f"service management needs systemd or launchd; {sys.platform} has neither")


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _linger_hint() -> str | None:
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    if user and Path("/var/lib/systemd/linger", user).exists():
        return None
    return "to keep the daemon running with no login session (SSH, servers): loginctl enable-linger $USER"


def _plan(action: str, memctl: Path | None = None, lines: int = 50, follow: bool = False) -> Plan:
    """Build the steps for ``action`` on this platform; nothing is executed here."""
    platform = _platform()
    plan = Plan(action, platform)
    if platform == "linux":
        unit = systemd_unit_path()
        ctl = ("systemctl", "--user")
        if action == "install":
            content = render_systemd_unit(memctl or find_memctl(), os.environ)
            plan.steps.append({"write": str(unit), "content": content})
            plan.run(*ctl, "daemon-reload").run(*ctl, "enable", "--now", UNIT_NAME)
            plan.notes.append("already running? `memctl service restart` applies a changed unit")
            plan.notes.append(_linger_hint() or "")
        elif action == "uninstall":
            plan.run(*ctl, "disable", "--now", UNIT_NAME, check=False)
            plan.steps.append({"remove": str(unit)})
            plan.run(*ctl, "daemon-reload")
        elif action in ("start", "stop", "restart"):
            plan.run(*ctl, action, UNIT_NAME)
        elif action == "status":
            plan.run(*ctl, "status", "--no-pager", UNIT_NAME, check=False, capture=False)
        elif action == "logs":
            tail = ["-f"] if follow else []
            plan.run("journalctl", "--user", "-u", UNIT_NAME, "-n", str(lines), "--no-pager", *tail,
                     capture=False)
        plan.notes = [n for n in plan.notes if n]
        return plan
    uid, home = os.getuid(), _home()
    plist, domain, target = launchd_plist_path(home), f"gui/{uid}", f"gui/{uid}/{LAUNCHD_LABEL}"
    if action == "install":
        content = render_launchd_plist(memctl or find_memctl(), home, uid, os.environ)
        plan.steps.append({"mkdir": str(launchd_log_dir(home))})
        plan.steps.append({"write": str(plist), "content": content.decode("utf-8")})
        plan.run("launchctl", "bootout", target, check=False)  # reinstall: unload the old one
        plan.run("launchctl", "bootstrap", domain, str(plist))
    elif action == "uninstall":
        plan.run("launchctl", "bootout", target, check=False)
        plan.steps.append({"remove": str(plist)})
    elif action == "start":
        plan.run("launchctl", "bootstrap", domain, str(plist), check=False)  # fails if loaded
        plan.run("launchctl", "kickstart", target)
    elif action == "stop":
        # A clean exit 0 is not restarted (KeepAlive.SuccessfulExit is false).
        plan.run("launchctl", "kill", "SIGTERM", target)
    elif action == "restart":
        plan.run("launchctl", "kickstart", "-k", target)
    elif action == "status":
        plan.run("launchctl", "print", target, check=False, capture=False)
    elif action == "logs":
        log_dir = launchd_log_dir(home)
        tail = ["-F"] if follow else []
        plan.run("tail", "-n", str(lines), *tail, str(log_dir / "daemon.err.log"),
                 str(log_dir / "daemon.out.log"), capture=False)
    return plan


def _run(argv: list[str], check: bool, capture: bool) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise click.ClickException(f"{argv[0]} not found on PATH; it is needed to manage the service")
    try:
        result = subprocess.run(argv, capture_output=capture, text=True)
    except OSError as exc:
        raise click.ClickException(f"cannot run {argv[0]}: {exc}") from exc
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout or "").strip().splitlines()
        detail = lines[0] if lines else "no output"
        if "Failed to connect to bus" in detail:
            detail += " (no systemd user session: log in, or run `loginctl enable-linger $USER`)"
        raise click.ClickException(f"`{shlex.join(argv)}` failed (exit {result.returncode}): {detail}")
    return result


def _execute(plan: Plan, dry_run: bool, as_json: bool) -> None:
    try:
        _execute_steps(plan, dry_run, as_json)
    except OSError as exc:
        raise click.ClickException(f"{plan.action} failed: {exc}") from exc


def _execute_steps(plan: Plan, dry_run: bool, as_json: bool) -> None:
    say = (lambda *_: None) if as_json else click.echo
    prefix = "would " if dry_run else ""
    for step in plan.steps:
        if "write" in step:
            say(f"{prefix}write {step['write']}:" + ("\n" + step["content"] if dry_run else ""))
            if not dry_run:
                path = Path(step["write"])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(step["content"], encoding="utf-8")
        elif "mkdir" in step:
            say(f"{prefix}create folder {step['mkdir']}")
            if not dry_run:
                Path(step["mkdir"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        elif "remove" in step:
            say(f"{prefix}remove {step['remove']}")
            if not dry_run:
                Path(step["remove"]).unlink(missing_ok=True)
        else:
            say(f"{prefix}run: {shlex.join(step['run'])}")
            if not dry_run:
                try:
                    _run(step["run"], step["check"], step["capture"])
                except KeyboardInterrupt:  # leaving `logs --follow`
                    return
    for note in plan.notes:
        say(f"note: {note}")
    if as_json:
        steps = [{"run": s["run"]} if "run" in s else s for s in plan.steps]
        payload = {"action": plan.action, "platform": plan.platform, "dry_run": dry_run,
                   "steps": steps, "notes": plan.notes}
        click.echo(json.dumps(payload, indent=2))


def _status_json() -> dict:
    """Machine-readable state from ``systemctl show`` / ``launchctl print``."""
    if _platform() == "linux":
        props = "LoadState,ActiveState,SubState,MainPID,ExecMainStatus,NRestarts,UnitFileState"
        out = _run(["systemctl", "--user", "show", UNIT_NAME, f"--property={props}"], True, True).stdout
        state: dict = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        state["installed"] = systemd_unit_path().is_file()
        return state
    target = f"gui/{os.getuid()}/{LAUNCHD_LABEL}"
    result = _run(["launchctl", "print", target], False, True)
    state = {"loaded": result.returncode == 0, "installed": launchd_plist_path(_home()).is_file()}
    for line in result.stdout.splitlines():
        key, sep, value = line.strip().partition(" = ")
        if sep and key in ("state", "pid", "last exit code"):
            state[key.replace(" ", "_")] = value
    return state


_dry_run = click.option("--dry-run", is_flag=True, help="Print what would be written and run; change nothing.")
_json = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group()
def service() -> None:
    """Run the memory daemon as a user service (systemd --user or a LaunchAgent)."""


@service.command()
@click.option("--memctl", "memctl", type=click.Path(dir_okay=False, path_type=Path),
              help="memctl executable the service runs (default: this installation's).")
@_dry_run
@_json
def install(memctl: Path | None, dry_run: bool, as_json: bool) -> None:
    """Write the unit/plist for this installation, enable and start it."""
    try:
        plan = _plan("install", memctl=Path(os.path.abspath(memctl)) if memctl else None)
    except (PathTooLong, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    _execute(plan, dry_run, as_json)


def _simple_command(action: str, help_text: str) -> None:
    @service.command(name=action, help=help_text)
    @_dry_run
    @_json
    def command(dry_run: bool, as_json: bool) -> None:
        _execute(_plan(action), dry_run, as_json)


_simple_command("uninstall", "Stop and disable the service and remove its unit/plist.")
_simple_command("start", "Start the service.")
_simple_command("stop", "Stop the service (it stays installed).")
_simple_command("restart", "Restart the service (applies a reinstalled unit/plist).")


@service.command()
@_dry_run
@_json
def status(dry_run: bool, as_json: bool) -> None:
    """Show the service manager's view of the daemon."""
    if as_json and not dry_run:
        click.echo(json.dumps(_status_json(), indent=2))
        return
    _execute(_plan("status"), dry_run, as_json)


@service.command()
@click.option("-n", "--lines", default=50, show_default=True, help="How many recent lines.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
@_dry_run
def logs(lines: int, follow: bool, dry_run: bool) -> None:
    """Show the daemon's log (journald on Linux, ~/Library/Logs/agent-memory on macOS)."""
    _execute(_plan("logs", lines=lines, follow=follow), dry_run, as_json=False)

