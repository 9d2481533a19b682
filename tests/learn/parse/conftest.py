"""Fixtures for the parser tests."""

from pathlib import Path

import pytest

from transcript_helpers import FIXTURES


@pytest.fixture
def fixtures() -> Path:
    """Folder of the copied sample transcripts."""
    return FIXTURES
