"""Whose memories a request is about when the caller names no user: one definition for all.

The daemon, memctl, the hooks, the MCP server and the LangChain tools all use
:func:`default_user_id`, so a hook never reads one user's memories and writes
another's. Precedence: ``$SIDECAR_USER``, then ``user_id`` at the top of the
config file, then the login name.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from sidecar_shared.paths import app_paths

USER_ENV = "SIDECAR_USER"


def configured_user_id(config_file: Path) -> str | None:
    """The top-level ``user_id`` of the config file, or None (missing, unreadable or not a string).

    Only the daemon reports a broken config file; a client falls back quietly.
    """
    try:
        text = config_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if sys.version_info >= (3, 11):  # imported here: ~2 ms of every memctl start, needed only with a config file
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    value = raw.get("user_id")
    return value if isinstance(value, str) and value.strip() else None


def default_user_id(env: Mapping[str, str] | None = None) -> str:
    """``$SIDECAR_USER``, else the config file's ``user_id``, else the login name."""
    env = os.environ if env is None else env
    return (env.get(USER_ENV) or configured_user_id(app_paths(env).config_file)
            or getpass.getuser())
