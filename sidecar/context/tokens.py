"""Cheap token estimate used for every budget decision in context assembly.

A fixed characters-per-token ratio is deliberately conservative (real BPE
tokenisers average ~3-4 chars/token on English), so budgets err on the side
of injecting less rather than overflowing a model's context.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 1.5


def estimate_tokens(text: str, chars_per_token: float = CHARS_PER_TOKEN) -> int:
    """Estimated token count of ``text``: ``len(text) / chars_per_token``, rounded up."""
    if chars_per_token <= 0:
        raise ValueError("chars_per_token must be positive")
    return math.ceil(len(text) / chars_per_token)
