"""Service-manager notifications (the sd_notify protocol) without a library.

Under systemd with ``Type=notify`` the manager passes ``$NOTIFY_SOCKET``, a
unix datagram socket (a filesystem path, or an abstract-namespace name when it
starts with ``@``). Each notification is one datagram of newline-separated
``KEY=VALUE`` fields. Outside systemd (launchd, a terminal, tests) every call
here is a cheap no-op that returns ``False``.

The daemon sends :func:`ready` once the lock is held, the socket bound and the
store loaded; :func:`stopping` on shutdown; :func:`reloading` then
:func:`ready` around a SIGHUP config reload; and :func:`watchdog_ping` every
:func:`watchdog_interval` seconds when the unit sets ``WatchdogSec=``.
"""

from __future__ import annotations

import os
import socket
import time

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
WATCHDOG_PID_ENV = "WATCHDOG_PID"


def _socket_address(raw: str) -> str | None:
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    # vsock: and other transports are not used for user services.
    return None


def notify(*fields: str) -> bool:
    """Send ``fields`` (each ``KEY=VALUE``) as one datagram to ``$NOTIFY_SOCKET``.

    Returns True if the datagram was sent, False when not running under a
    notify-aware manager or when sending failed. Never raises: a lost
    notification must not take the daemon down.
    """
    raw = os.environ.get(NOTIFY_SOCKET_ENV, "")
    address = _socket_address(raw) if raw else None
    if address is None or not fields:
        return False
    if any("\n" in field or "=" not in field for field in fields):
        return False
    try:
        payload = "\n".join(fields).encode("utf-8")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(payload)
    except (OSError, UnicodeError, ValueError):
        return False
    return True


def ready(status: str | None = None) -> bool:
    """Tell the manager start-up (or a reload) is complete, with an optional status line."""
    fields = ["READY=1"]
    if status:
        fields.append("STATUS=" + " ".join(status.splitlines()))
    return notify(*fields)


def stopping() -> bool:
    """Tell the manager the daemon has begun shutting down."""
    return notify("STOPPING=1")


def reloading() -> bool:
    """Tell the manager a configuration reload has begun; follow with :func:`ready`.

    ``MONOTONIC_USEC`` lets systemd (>= 253, ``Type=notify-reload``) match this
    message to the reload request; older versions ignore it.
    """
    now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={now_usec}")


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings (half of ``$WATCHDOG_USEC``), or None if disabled.

    None also when ``$WATCHDOG_PID`` names another process: the variables were
    inherited, and the watchdog is not ours to feed.
    """
    pid = os.environ.get(WATCHDOG_PID_ENV)
    if pid is not None:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    try:
        usec = int(os.environ.get(WATCHDOG_USEC_ENV, ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 2 / 1_000_000


def watchdog_ping() -> bool:
    """Feed the service watchdog (call every :func:`watchdog_interval` seconds)."""
    return notify("WATCHDOG=1")
