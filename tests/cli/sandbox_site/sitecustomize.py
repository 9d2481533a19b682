"""Put the Python process that imports this (a test daemon, through PYTHONPATH) into the sandbox the
systemd unit describes, as far as an unprivileged process can: a user and mount namespace in which
``/`` (the venv and the system) and ``$HOME`` are read-only while ``/tmp`` stays writable
(``ProtectSystem=strict``, ``ProtectHome=read-only``, ``PrivateTmp=yes``; the daemon's
``$SIDECAR_HOME`` lives under ``/tmp``), and no memory may become writable and executable
(``MemoryDenyWriteExecute=yes``, through ``PR_SET_MDWE``). Any step that fails ends the process
with a message, so a test never passes outside the sandbox it asked for.
"""

import ctypes
import os

_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT = 1, 2, 4, 8, 32
_MS_NOATIME, _MS_NODIRATIME, _MS_BIND, _MS_REC, _MS_PRIVATE, _MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
_ST_TO_MS = {2: _MS_NOSUID, 4: _MS_NODEV, 8: _MS_NOEXEC, 1024: _MS_NOATIME, 2048: _MS_NODIRATIME,
             4096: _MS_RELATIME}
_PR_SET_MDWE, _PR_MDWE_REFUSE_EXEC_GAIN = 65, 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise SystemExit(f"test sandbox: {what} failed: {os.strerror(ctypes.get_errno())}")


def _bind(path: str) -> None:
    _check(_libc.mount(path.encode(), path.encode(), None, _MS_BIND, None), f"bind {path}")


def _read_only(path: str) -> None:
    # the flags the kernel locked on the mount (nosuid, nodev, atime...) must be kept in a user namespace
    locked = 0
    for st_flag, ms_flag in _ST_TO_MS.items():
        if os.statvfs(path).f_flag & st_flag:
            locked |= ms_flag
    _check(_libc.mount(None, path.encode(), None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | locked, None),
           f"read-only remount of {path}")


def _enter() -> None:
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    _check(_libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "private mounts")
    home = os.path.realpath(os.environ["HOME"])
    _bind("/tmp")
    _bind(home)
    _read_only(home)
    _read_only("/")
    _check(_libc.prctl(_PR_SET_MDWE, _PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0), "PR_SET_MDWE")
    os.environ["SIDECAR_TEST_SANDBOXED"] = "1"


if os.environ.get("SIDECAR_TEST_SANDBOX") == "1" and not os.environ.get("SIDECAR_TEST_SANDBOXED"):
    _enter()
