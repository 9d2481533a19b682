"""Start-up failures map to one line and a stable exit code (systemd restarts only what may pass)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from sidecar.config.settings import ConfigError
from sidecar.process.startup import StartupError, explain
from sidecar.store.errors import StoreError
from sidecar.store.preflight import EmbedderModelMissing, OllamaUnreachable
from sidecar_shared import exitcodes

DATA = Path("/srv/memory/data")


@pytest.mark.parametrize("exc, code, words", [
    (ConfigError("config.toml: gate.backend: bad"), exitcodes.CONFIG, "configuration error: config.toml"),
    (StartupError("the store was being upgraded"), exitcodes.CONFIG, "being upgraded"),
    (OllamaUnreachable("Ollama is configured as the embedder but not reachable"), exitcodes.UNAVAILABLE, "reachable"),
    (EmbedderModelMissing("run: ollama pull x"), exitcodes.CONFIG, "ollama pull x"),
    (StoreError("mem0 could not open the store: file is not a database"), exitcodes.CONFIG, "restore"),
    (PermissionError(errno.EACCES, "Permission denied", "/srv/memory/data/store/history.db"), exitcodes.CONFIG,
     "history.db"),
    (OSError(errno.ENOSPC, "No space left on device", "/srv/memory/data/store"), exitcodes.IO_ERROR, "No space"),
    (sqlite3.DatabaseError("database disk image is\nmalformed"), exitcodes.CONFIG, "malformed"),
    (RuntimeError("a bug\nwith two lines"), exitcodes.ERROR, "RuntimeError: a bug with two lines"),
])
def test_each_failure_is_one_line_and_a_stable_code(exc: BaseException, code: int, words: str) -> None:
    got_code, line = explain(exc, DATA)
    assert got_code == code and words in line and "\n" not in line
