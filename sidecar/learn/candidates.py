"""Final clean-up of parsed candidates before they go to the write gate."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from sidecar_shared.markers import contains_injected, strip_injected

from sidecar.learn.parse.records import Candidate
from sidecar.learn.units import prose_text

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim each line, keep at most one blank line in a row."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def select(candidates: Iterable[Candidate], *, min_chars: int = 8) -> list[Candidate]:
    """Candidates worth judging, with our own injected blocks removed.

    Only prose and list items are kept (:mod:`sidecar.learn.units`): code,
    commands, diffs, traces, logs, tables and headings never reach the gate.
    Blocks this project injected (``<agent-memory-context>`` ...) are cut out;
    a candidate that still carries one of our markers afterwards (a stray end
    tag, MEMORY.md's managed section) is dropped whole, as is one whose
    remaining text is shorter than ``min_chars`` characters or has no letter
    or digit. Provenance fields are kept as they were.
    """
    selected: list[Candidate] = []
    for candidate in candidates:
        text = strip_injected(candidate.text)
        if contains_injected(text):
            continue
        text = normalise_whitespace(prose_text(text))
        if len(text) < min_chars or not any(ch.isalnum() for ch in text):
            continue
        selected.append(candidate if text == candidate.text else dataclasses.replace(candidate, text=text))
    return selected
