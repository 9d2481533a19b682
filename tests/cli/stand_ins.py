"""Stand-in executables for the memctl tests (a script that logs or exits)."""

from __future__ import annotations

from pathlib import Path


def make_executable(path: Path, body: str = "exit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path
