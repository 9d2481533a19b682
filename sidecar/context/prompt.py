"""The layered system prompt: workspace files plus the long-term memory block,
always in the same order so the stable layers form a cacheable prefix."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sidecar.context.longterm import MEMORY_NOTE
from sidecar_shared.markers import CONTEXT_BEGIN, CONTEXT_END

log = logging.getLogger(__name__)

MAX_COMPONENT_LENGTH = 20_000
SKILLS_DIR = "skills"
SKILL_FILE = "SKILL.md"
SKILLS_FILE = "SKILLS.md"
# Fixed order: most stable first, the per-query memory block last.
FILE_LAYERS: tuple[tuple[str, str], ...] = (
    ("soul", "SOUL.md"),
    ("identity", "IDENTITY.md"),
    ("user", "USER.md"),
    ("agents", "AGENTS.md"),
)
LAYER_ORDER = ("skills", *(name for name, _ in FILE_LAYERS), "memory")


class PromptLayer(NamedTuple):
    """One layer as it went into the prompt: ``chars`` after truncation."""

    name: str
    chars: int
    truncated: bool


@dataclass(frozen=True)
class PromptParts:
    """The assembled system prompt and what each present layer contributed."""

    text: str
    layers: list[PromptLayer]


def truncate_component(text: str, limit: int = MAX_COMPONENT_LENGTH) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters plus a visible truncation marker."""
    if len(text) <= limit:
        return text, False
    return f"{text[:limit]}\n[… truncated {len(text) - limit} characters]", True


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError:
        log.warning("cannot read prompt layer %s", path, exc_info=True)
        return None
    return text if text.strip() else None


def _skill_summary(skill_md: str, fallback_name: str) -> tuple[str, str]:
    """Name and first description line from a SKILL.md (front matter first,
    else the first prose line)."""
    lines = skill_md.splitlines()
    name, description = fallback_name, ""
    body_start = 0
    if lines and lines[0].strip() == "---":
        for index, line in enumerate(lines[1:], start=1):
            if line.strip() == "---":
                body_start = index + 1
                break
            key, _, value = line.partition(":")
            value = value.strip().strip("\"'")
            if key.strip() == "name" and value:
                name = value
            elif key.strip() == "description" and value and not description:
                description = value
    if not description:
        for line in lines[body_start:]:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                description = stripped
                break
    return name, description


def skills_snapshot(workspace: Path) -> str | None:
    """One line per ``skills/*/SKILL.md`` (name: description), else SKILLS.md's text."""
    skills_dir = workspace / SKILLS_DIR
    entries: list[str] = []
    if skills_dir.is_dir():
        for skill_file in sorted(skills_dir.glob(f"*/{SKILL_FILE}")):
            text = _read(skill_file)
            if text is None:
                continue
            name, description = _skill_summary(text, skill_file.parent.name)
            entries.append(f"- {name}: {description}" if description else f"- {name}")
    if entries:
        return "Available skills:\n" + "\n".join(entries)
    return _read(workspace / SKILLS_FILE)


def _truncate_memory_block(block: str) -> tuple[str, bool]:
    # Keep the closing marker so the transcript watcher still sees where the block ends.
    if len(block) <= MAX_COMPONENT_LENGTH or not block.rstrip().endswith(CONTEXT_END):
        return truncate_component(block)
    inner = block.rstrip()[: -len(CONTEXT_END)].rstrip("\n")
    cut, truncated = truncate_component(inner)
    return f"{cut}\n{CONTEXT_END}", truncated


def frame_memory(block: str) -> str:
    """``block`` opening with :data:`MEMORY_NOTE` (after the marker and mode line when wrapped).

    Blocks from :class:`~sidecar.context.longterm.LongTermInjector` carry it already; any other
    memory text reaching the prompt gets it here, so memories never read as instructions.
    """
    if MEMORY_NOTE in block:
        return block
    lines = block.split("\n")
    at = 0
    if lines[0] == CONTEXT_BEGIN:
        at = 2 if len(lines) > 1 and lines[1].startswith("[memory mode:") else 1
    return "\n".join([*lines[:at], MEMORY_NOTE, *lines[at:]])


def build_system_prompt(workspace: Path | None, memory_block: str) -> PromptParts:
    """Assemble skills → SOUL.md → IDENTITY.md → USER.md → AGENTS.md → memory.

    The memory layer is framed as reference data, not instructions (:func:`frame_memory`).
    Missing or blank layers are skipped; each layer is cut at
    :data:`MAX_COMPONENT_LENGTH` characters with a visible marker.
    """
    raw: list[tuple[str, str | None]] = []
    if workspace is not None:
        raw.append(("skills", skills_snapshot(workspace)))
        raw += [(name, _read(workspace / file_name)) for name, file_name in FILE_LAYERS]
    raw.append(("memory", frame_memory(memory_block.strip("\n")) if memory_block.strip() else None))

    pieces: list[str] = []
    layers: list[PromptLayer] = []
    for name, text in raw:
        if text is None:
            continue
        text = text.strip("\n")
        cut, truncated = _truncate_memory_block(text) if name == "memory" else truncate_component(text)
        pieces.append(cut)
        layers.append(PromptLayer(name, len(cut), truncated))
    return PromptParts("\n\n".join(pieces), layers)
