"""The systemd user unit's sandbox: the daemon may write its own folders and nothing else.

Two tiers, because a *user* service manager runs without privileges:

* system-call filters work everywhere (seccomp; ``NoNewPrivileges=yes`` makes them
  allowed for an unprivileged process): the address families (unix sockets, and
  IP for a loopback Ollama), no namespaces, no realtime, no set-uid files, no
  writable-and-executable memory (the daemon's stack, onnxruntime included, runs
  with it: ``tests/cli/test_service_units.py``), native system calls of the
  ``@system-service`` set only, files created 0600;
* mount and user-namespace protections (a read-only file system apart from the
  daemon's folders, a private ``/tmp``, hidden kernel tunables, no capabilities)
  need an unprivileged user namespace in a user unit (``PrivateUsers=yes``).
  Where none can be made (disabled by the kernel, or refused by AppArmor as on
  Ubuntu 24.04) a unit that asks for one would not start at all, so these are
  written only when :func:`user_namespaces_usable` finds that it works here.

The folders the daemon writes (its data and log folders, ``$SIDECAR_HOME``, and the
MEMORY.md folders named in the config) are read when the unit is rendered:
after changing ``[context] memory_md`` or ``project_dirs``, install the service again.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sidecar_shared.paths import HOME_ENV, app_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000

# Seccomp-based: honoured by an unprivileged user manager.
FILTERS: tuple[tuple[str, str], ...] = (
    ("UMask", "0077"),
    ("NoNewPrivileges", "yes"),
    ("LockPersonality", "yes"),
    ("RestrictRealtime", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("RestrictNamespaces", "yes"),
    ("MemoryDenyWriteExecute", "yes"),
    ("SystemCallArchitectures", "native"),
    ("SystemCallFilter", "@system-service"),
    ("SystemCallFilter", "~@privileged"),
    ("SystemCallErrorNumber", "EPERM"),
    ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
)
# Mount and user namespaces: written only when a user namespace can be made here.
NAMESPACED: tuple[tuple[str, str], ...] = (
    ("PrivateUsers", "yes"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "read-only"),
    ("PrivateTmp", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"),
    ("ProtectHostname", "yes"),
    ("CapabilityBoundingSet", ""),
    ("AmbientCapabilities", ""),
)


def user_namespaces_usable() -> bool:
    """True if this user can make the user and mount namespace ``PrivateUsers=yes`` needs.

    A child process tries what systemd does for a user unit: a new user namespace with
    its uid mapped, a new mount namespace, and a mount in it (AppArmor's restriction
    of unprivileged namespaces lets the first step pass and refuses the mount).
    """
    if not sys.platform.startswith("linux"):
        return False
    uid, gid = os.getuid(), os.getgid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS) == 0:
                for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                    with open(f"/proc/self/{name}", "w") as handle:
                        handle.write(text)
                if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0 \
                        and libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None) == 0:
                    code = 0
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _config(variables: Mapping[str, str]) -> dict[str, Any]:
    """The config file the service will read, as TOML; {} when missing or broken (the daemon reports that)."""
    try:
        return tomllib.loads(app_paths(dict(variables)).config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _folder(value: Any) -> Path | None:
    if isinstance(value, Mapping):
        value = value.get("path")
    if not isinstance(value, str) or not value.strip():
        return None
    return Path(os.path.abspath(os.path.expanduser(value)))


def own_dirs(variables: Mapping[str, str]) -> list[Path]:
    """The daemon's own folders: ``$SIDECAR_HOME`` (data, logs and the socket), else the data and log folders.

    The runtime folder under ``$XDG_RUNTIME_DIR`` is the unit's ``RuntimeDirectory=``,
    which systemd creates and makes writable itself.
    """
    if variables.get(HOME_ENV):
        return [Path(variables[HOME_ENV])]
    paths = app_paths(dict(variables))
    return [paths.data_dir, paths.log_dir]


def writable_dirs(variables: Mapping[str, str]) -> list[Path]:
    """Every folder the daemon writes, given the unit's environment ``variables``:
    :func:`own_dirs` plus the folders of MEMORY.md files the config asks for outside them."""
    folders = own_dirs(variables)
    context = _config(variables).get("context")
    if isinstance(context, Mapping):
        memory_md = _folder(context.get("memory_md"))
        if memory_md is not None:
            folders.append(memory_md.parent)
        projects = context.get("project_dirs")
        for entry in projects if isinstance(projects, list) else ():
            folder = _folder(entry)
            if folder is not None:
                folders.append(folder)
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def ollama_is_loopback(variables: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """True if the daemon's Ollama URL (config, else ``OLLAMA_HOST``, else the default) is on this machine."""
    ollama = _config(variables).get("ollama")
    url = ollama.get("url") if isinstance(ollama, Mapping) else None
    url = url if isinstance(url, str) and url.strip() else env.get("OLLAMA_HOST") or "127.0.0.1:11434"
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quoted_paths(folders: Iterable[Path], quote: Any) -> str:
    # "-": a folder that does not exist (yet) is skipped instead of failing the start
    return " ".join(quote(f"-{folder}") for folder in folders)


def sandbox_lines(variables: Mapping[str, str], env: Mapping[str, str], *, namespaces: bool,
                  quote: Any) -> list[str]:
    """The unit's sandbox settings, as lines (``quote`` escapes a value for a unit file)."""
    lines = [f"{key}={value}" for key, value in FILTERS]
    if ollama_is_loopback(variables, env):
        # Enforced where the manager may attach BPF programs (a system manager); a user manager
        # ignores it, and RestrictAddressFamilies= above is what holds there.
        lines += ["IPAddressDeny=any", "IPAddressAllow=localhost"]
    if namespaces:
        lines += [f"{key}={value}" for key, value in NAMESPACED]
        lines.append(f"ReadWritePaths={_quoted_paths(writable_dirs(variables), quote)}")
    else:
        lines.append("# No user namespace can be made here, so ProtectSystem=, ProtectHome=, PrivateTmp= and")
        lines.append("# the other mount protections are left out: a user unit asking for them would not start.")
    return lines
