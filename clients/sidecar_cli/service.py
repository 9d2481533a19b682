"""``memctl service``: run the daemon as a user service (systemd on Linux, launchd on macOS).

The unit and plist are rendered from the templates in ``systemd/`` and
``launchd/`` with absolute paths of this installation, because neither
systemd's ExecStart= nor a plist expands ``~`` or shell variables.
Thin client: imports only the standard library, click and our own paths module.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from sidecar_shared.paths import PathTooLong
from sidecar_cli.service_render import (
    UNIT_NAME,
    LAUNCHD_LABEL,
    render_systemd_unit,
    systemd_writable_dirs,
    launchd_log_dir,
    render_launchd_plist,
    systemd_unit_path,
    launchd_plist_path,
    find_memctl,
)


def _installed_memctl() -> Path:
    try:
        return find_memctl()
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


@dataclass
class Plan:
    """What a service action writes, removes and runs, in order."""

    action: str
    platform: str
    steps: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True, capture: bool = True, exit_with: bool = False) -> Plan:
        """Add a command; ``exit_with``: memctl exits with its status (``service status``)."""
        self.steps.append({"run": list(argv), "check": check, "capture": capture, "exit_with": exit_with})
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
            content = render_systemd_unit(memctl or _installed_memctl(), os.environ)
            plan.steps.append({"write": str(unit), "content": content})
            # the sandbox makes everything else read-only: the daemon cannot create its own folders
            plan.steps += [{"mkdir": str(folder)} for folder in systemd_writable_dirs(os.environ)]
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
            plan.run(*ctl, "status", "--no-pager", UNIT_NAME, check=False, capture=False, exit_with=True)
        elif action == "logs":
            tail = ["-f"] if follow else []
            plan.run("journalctl", "--user", "-u", UNIT_NAME, "-n", str(lines), "--no-pager", *tail,
                     capture=False)
        plan.notes = [n for n in plan.notes if n]
        return plan
    uid, home = os.getuid(), _home()
    plist, domain, target = launchd_plist_path(home), f"gui/{uid}", f"gui/{uid}/{LAUNCHD_LABEL}"
    if action == "install":
        content = render_launchd_plist(memctl or _installed_memctl(), home, uid, os.environ)
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
        plan.run("launchctl", "print", target, check=False, capture=False, exit_with=True)
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
    """Run ``plan``; a failed install puts back the unit/plist it wrote; ``exit_with`` steps set the exit code."""
    written: list[tuple[Path, str | None]] = []
    try:
        code = _execute_steps(plan, dry_run, as_json, written)
    except (OSError, click.ClickException) as exc:
        undone = _undo_writes(written) if plan.action == "install" else []
        failure = exc if isinstance(exc, click.ClickException) else click.ClickException(f"{plan.action} failed: {exc}")
        if undone:
            failure.message += f" (removed what install wrote: {', '.join(undone)})"
        raise failure from exc
    if code:
        sys.exit(code)


def _undo_writes(written: list[tuple[Path, str | None]]) -> list[str]:
    """Put back each file a failed step sequence wrote (remove it if it was new); the paths undone."""
    undone = []
    for path, before in reversed(written):
        try:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(before, encoding="utf-8")
            undone.append(str(path))
        except OSError:
            pass
    return undone


def _execute_steps(plan: Plan, dry_run: bool, as_json: bool, written: list[tuple[Path, str | None]]) -> int:
    """Run each step; returns the exit status of the last ``exit_with`` command (0 if none)."""
    say = (lambda *_: None) if as_json else click.echo
    prefix = "would " if dry_run else ""
    code = 0
    for step in plan.steps:
        if "write" in step:
            say(f"{prefix}write {step['write']}:" + ("\n" + step["content"] if dry_run else ""))
            if not dry_run:
                path = Path(step["write"])
                path.parent.mkdir(parents=True, exist_ok=True)
                written.append((path, path.read_text(encoding="utf-8") if path.is_file() else None))
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
                    result = _run(step["run"], step["check"], step["capture"])
                except KeyboardInterrupt:  # leaving `logs --follow`
                    return 0
                if step.get("exit_with"):
                    code = result.returncode
    for note in plan.notes:
        say(f"note: {note}")
    if as_json:
        steps = [{"run": s["run"]} if "run" in s else s for s in plan.steps]
        payload = {"action": plan.action, "platform": plan.platform, "dry_run": dry_run,
                   "steps": steps, "notes": plan.notes}
        click.echo(json.dumps(payload, indent=2))
    return code


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

