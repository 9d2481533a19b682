"""Renders the service definitions: a systemd user unit and a launchd LaunchAgent plist.

Only absolute paths go into them (launchd expands neither ``~`` nor ``$VAR``),
with the telemetry opt-outs and any SIDECAR_HOME/XDG overrides of the installing
shell, so the service and that shell's ``memctl`` find the same socket.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from sidecar_cli.service_sandbox import own_dirs, sandbox_lines, user_namespaces_usable
from sidecar_shared.paths import APP_NAME, HOME_ENV, SOCKET_NAME, PathTooLong, app_paths

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


def render_systemd_unit(memctl_path: str | Path, env: Mapping[str, str] | None = None, *,
                        namespaces: bool | None = None) -> str:
    """The user unit running ``<memctl_path> serve``; ``env`` is the installing shell's environment.

    ``namespaces`` says whether the mount/user-namespace part of the sandbox goes in
    (default: whether one can be made on this machine, see :mod:`.service_sandbox`).
    """
    memctl = _absolute(memctl_path, "memctl path")
    variables = service_environment(env or {}, SYSTEMD_PATH_VARS)
    if HOME_ENV in variables:
        app_paths({HOME_ENV: variables[HOME_ENV]}).check_socket_path()
    lines = [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in variables.items()]
    if namespaces is None:
        namespaces = user_namespaces_usable()
    sandbox = sandbox_lines(variables, env or {}, namespaces=namespaces, quote=_systemd_quote)
    return _template("systemd/agent-memory.service").format(
        exec_start=_systemd_quote(str(memctl)), environment="\n".join(lines), sandbox="\n".join(sandbox)
    )


def systemd_writable_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The daemon's own folders the unit lets it write; they must exist before it starts."""
    return own_dirs(service_environment(env or {}, SYSTEMD_PATH_VARS))


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
    raise FileNotFoundError("cannot find the memctl executable; pass --memctl /abs/path/memctl")
