"""Token estimate used for every context budget."""

import pytest

from sidecar.context.tokens import CHARS_PER_TOKEN, estimate_tokens


def test_default_ratio_rounds_up() -> None:
    assert CHARS_PER_TOKEN == 1.5
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 2
    assert estimate_tokens("abcd") == 3
    assert estimate_tokens("x" * 3000) == 2000


def test_custom_ratio_and_invalid_ratio() -> None:
    assert estimate_tokens("abcdefgh", chars_per_token=4) == 2
    with pytest.raises(ValueError):
        estimate_tokens("abc", chars_per_token=0)
