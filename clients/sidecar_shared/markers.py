"""Markers around text that this project injects into an agent's context.

Every block the sidecar hands to an agent (hook output, the ``context`` op,
MEMORY.md's managed section) is wrapped in these markers, so the transcript
watcher recognises it wherever the agent writes it back and never re-learns it.
"""

from __future__ import annotations

import re

CONTEXT_BEGIN = "<agent-memory-context>"
CONTEXT_END = "</agent-memory-context>"
MANAGED_BEGIN = "<!-- agent-memory:begin (managed section: edits here sync to the memory store) -->"
MANAGED_END = "<!-- agent-memory:end -->"

_BLOCK = re.compile(
    re.escape(CONTEXT_BEGIN) + r".*?(?:" + re.escape(CONTEXT_END) + r"|\Z)", re.DOTALL
)
_ANY_MARKER = re.compile(r"<agent-memory-context>|</agent-memory-context>|<!-- agent-memory:")


def wrap_context(text: str, mode: str | None = None) -> str:
    """Wrap ``text`` as an injected-context block (optionally naming the mode)."""
    head = CONTEXT_BEGIN if mode is None else f"{CONTEXT_BEGIN}\n[memory mode: {mode}]"
    return f"{head}\n{text}\n{CONTEXT_END}"


def contains_injected(text: str) -> bool:
    """True if ``text`` carries any of our markers."""
    return bool(_ANY_MARKER.search(text))


def strip_injected(text: str) -> str:
    """Remove every injected-context block (an unterminated one runs to the end)."""
    return _BLOCK.sub("", text)
