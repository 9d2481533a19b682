"""The project a working folder stands for: the key learned facts carry and context filters on."""

from __future__ import annotations

import re

_NOT_PROJECTS = ("~", ".", "root", "tmp")


def project_name(cwd: str | None) -> str | None:
    """The last part of ``cwd`` (POSIX or Windows path); None for none, a drive, or a home folder."""
    if not cwd:
        return None
    parts = [p for p in re.split(r"[\\/]+", cwd.strip()) if p and not re.fullmatch(r"[A-Za-z]:", p)]
    if not parts:
        return None
    home_like = len(parts) <= 2 and parts[0].lower() in ("home", "users", "root")
    return None if home_like or parts[-1] in _NOT_PROJECTS else parts[-1]
