"""The client's error hierarchy: raised by the library, turned into messages by the CLI."""

from __future__ import annotations


class SidecarError(Exception):
    """Base class of every error the client library raises."""


class DaemonNotRunning(SidecarError):
    """No daemon listens on the socket."""

    def __init__(self, socket_path: str) -> None:
        super().__init__(
            f"the memory daemon is not running (no listener on {socket_path}); "
            "start it with: memctl serve   (or: memctl service start)"
        )
        self.socket_path = socket_path


class DaemonTimeout(SidecarError):
    """The daemon did not answer in time (after the retries that were safe)."""


class RequestFailed(SidecarError):
    """The daemon answered with an error reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NotFound(RequestFailed):
    """The memory (or session) does not exist."""


class Busy(RequestFailed):
    """The daemon's work queue is full; retry later."""


class SecretDetected(RequestFailed):
    """The text to store holds a secret (the message names its kind, never the value); nothing was stored."""
