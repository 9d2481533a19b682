"""Context assembly: MEMORY.md sync, long-term injection, session history and
the layered system prompt.

A pure library: no ZeroMQ or daemon code. Every dependency (store search,
summariser, clock, chat model) is passed in by the caller.
"""

from sidecar.context.longterm import MEMORY_TOKEN_THRESHOLD, LongTermBlock, LongTermInjector
from sidecar.context.memory_md import (
    MalformedLine,
    ManagedEntry,
    ManagedSection,
    ManagedSectionError,
    content_md5,
    parse_managed,
    render_managed,
    splice,
)
from sidecar_shared.files import write_atomic
from sidecar.context.memory_md_edits import Debouncer, Edit, FileChange, MemoryMdSync, diff_edits
from sidecar.context.prompt import MAX_COMPONENT_LENGTH, PromptLayer, PromptParts, build_system_prompt
from sidecar.context.sessions import MAX_HISTORY, Session, SessionManager
from sidecar.context.summarize import ExtractiveSummariser, OllamaSummariser, Summariser
from sidecar.context.tokens import CHARS_PER_TOKEN, estimate_tokens

__all__ = [
    "CHARS_PER_TOKEN",
    "MAX_COMPONENT_LENGTH",
    "MAX_HISTORY",
    "MEMORY_TOKEN_THRESHOLD",
    "Debouncer",
    "Edit",
    "ExtractiveSummariser",
    "FileChange",
    "LongTermBlock",
    "LongTermInjector",
    "MalformedLine",
    "ManagedEntry",
    "ManagedSection",
    "ManagedSectionError",
    "MemoryMdSync",
    "OllamaSummariser",
    "PromptLayer",
    "PromptParts",
    "Session",
    "SessionManager",
    "Summariser",
    "build_system_prompt",
    "content_md5",
    "diff_edits",
    "estimate_tokens",
    "parse_managed",
    "render_managed",
    "splice",
    "write_atomic",
]
