"""Shared fixtures: every test runs on its own SIDECAR_HOME; daemons are real subprocesses.

Waits on daemons and on background effects are limited by ``$SIDECAR_TEST_READY_S``
(default 600 s, see ``sidecar.testing.waiting``); they poll and return as soon as the
condition holds. Long end-to-end tests are marked ``slow``: ``pytest -m "not slow"``
gives a quick run, plain ``pytest`` (CI) runs everything.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import sidecar.process.offline

# Tests that use mem0 or the embedder in-process get the same opt-outs as the daemon, before any import.
MEM0_DIR = Path(tempfile.mkdtemp(prefix="sct-mem0-"))
sidecar.process.offline.apply(mem0_dir=MEM0_DIR)
atexit.register(shutil.rmtree, MEM0_DIR, True)

# ipc paths must stay under 107 bytes, so daemons live in short temp folders, not pytest's deep ones.
from sidecar.testing.daemons import DaemonProcess, private_daemon, running_daemon, short_home  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Move all sidecar state (and $HOME) into a temp dir, so no test touches real files; removed afterwards
    (short_home is outside pytest's own rotated temp dirs, so nothing else would remove it)."""
    home = short_home()
    monkeypatch.setenv("SIDECAR_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_daemon() -> Iterator[DaemonProcess]:
    """One daemon for a whole test module; its tests keep apart by using their own user ids.

    It has its own $HOME (the per-test one does not exist yet when a module fixture starts).
    """
    with private_daemon() as daemon:
        yield daemon


@pytest.fixture
def daemon(isolated_home: Path) -> Iterator[DaemonProcess]:
    """A fresh daemon on this test's SIDECAR_HOME."""
    with running_daemon(isolated_home) as proc:
        yield proc


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL + pgvector (the pgserver wheel) for the whole session; skipped, with the reason, if it cannot start."""
    from sidecar.testing.pg_server import PgUnavailable, start_pg_server

    try:
        server = start_pg_server()
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """The DSN of a fresh, empty database on the session's server."""
    return pg_server.new_database()


STORE_BACKENDS = ("embedded", "pgvector")


def backend_config(request: pytest.FixtureRequest, backend: str) -> str | None:
    """``config.toml`` text for a fresh store of ``backend`` (None: the embedded default).

    pgvector gets a new database on the session's server; without a server only the
    pgvector case is skipped.
    """
    if backend != "pgvector":
        return None
    from sidecar.testing.pg_server import pgvector_config

    return pgvector_config(request.getfixturevalue("pg_server").new_database("ops"))


@pytest.fixture(scope="module", params=STORE_BACKENDS)
def backend_daemon(request: pytest.FixtureRequest) -> Iterator[DaemonProcess]:
    """Like ``shared_daemon``, once per store backend: the module's tests run on embedded and on pgvector."""
    with private_daemon(backend_config(request, request.param), prefix=f"s{request.param[:2]}-") as daemon:
        yield daemon


@pytest.fixture(params=STORE_BACKENDS)
def store_backend_config(request: pytest.FixtureRequest) -> str | None:
    """A fresh store's config text, once per store backend (for tests that start their own daemon)."""
    return backend_config(request, request.param)
