"""Fixtures of the memctl tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from stand_ins import make_executable


@pytest.fixture
def memctl(tmp_path) -> Path:
    """A stand-in ``memctl`` in a venv-like folder (what the service units point at)."""
    return make_executable(tmp_path / "venv" / "bin" / "memctl")
