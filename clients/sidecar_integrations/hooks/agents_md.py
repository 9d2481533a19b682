"""A managed section of project facts in AGENTS.md, for agents that read the file but run no hooks.

AGENTS.md is usually committed to git, so two rules hold:

* only memories scoped to *this* project go there (:func:`project_facts`): the write
  gate's project kinds, tied to the project by their ``project`` or ``cwd`` metadata;
  identity, health, preferences and every other memory about the person never do;
* only after the user opted in: ``memctl agents-md sync --opt-in`` records the choice
  as :data:`OPT_IN` inside the section, where it is visible in the file and in review;
  later syncs of that file need no flag. Without it, :func:`sync_file` raises
  :class:`NotOptedIn` and writes nothing.

The section sits between :data:`markers.MANAGED_BEGIN` and :data:`markers.MANAGED_END`;
everything outside it is preserved byte for byte (line endings included). A file
without the section gets it appended at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidecar_shared import markers
from sidecar_shared.files import write_atomic

AGENTS_FILE = "AGENTS.md"
MAX_LINES = 200
OPT_IN = "<!-- agent-memory:agents-md opted in: project-scoped memories only (memctl agents-md sync --opt-in) -->"
HEADING = "## Project notes from agent memory"
FOOTER = "_Refreshed by `memctl agents-md sync`; only memories scoped to this project are listed._"
#: Kinds of the write gate that describe a project rather than the person.
PROJECT_KINDS = frozenset({"project_convention"})
#: Kinds that describe a project only when the memory says which project (its own machine otherwise).
LOCATED_KINDS = frozenset({"environment"})


class NotOptedIn(Exception):
    """The file has no opt-in and none was given: nothing was written."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: whether the file changed (or would), and how many memories it listed or left out."""

    path: Path
    changed: bool
    listed: int
    left_out: int


def _inside(cwd: str, project: Path) -> bool:
    try:
        where = Path(os.path.abspath(os.path.expanduser(cwd)))
    except (OSError, ValueError):
        return False
    return where == project or project in where.parents


def _names_project(value: Any, project: Path) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    value = value.strip()
    return _inside(value, project) if "/" in value or "\\" in value else value == project.name


def is_project_fact(memory: Mapping[str, Any], project: Path) -> bool:
    """True if ``memory`` belongs in ``project``'s AGENTS.md (``project`` is an absolute folder).

    ``metadata.kind`` decides what the memory is about, ``metadata.cwd`` (the transcript's working
    folder, preferred) or ``metadata.project`` (its name) which project it came from:

    * a project convention: when it comes from this project, or says nothing about where;
    * an environment fact: only when it comes from this project;
    * a memory without a kind (an explicit ``add``): only when its ``project`` names this project;
    * anything else (identity, health, preferences, people, instructions to the assistant): never.
    """
    meta = memory.get("metadata") if isinstance(memory.get("metadata"), Mapping) else {}
    kind, cwd, named = meta.get("kind"), meta.get("cwd"), meta.get("project")
    if isinstance(cwd, str) and cwd.strip():
        located: bool | None = _inside(cwd, project)
    elif named is not None:
        located = _names_project(named, project)
    else:
        located = None
    if kind is None:
        return located is True and named is not None
    if kind in PROJECT_KINDS:
        return located is not False
    if kind in LOCATED_KINDS:
        return located is True
    return False


def project_facts(memories: Iterable[Mapping[str, Any]], project: Path) -> list[Mapping[str, Any]]:
    """The memories of :func:`is_project_fact`, in order."""
    root = Path(os.path.abspath(project))
    return [m for m in memories if str(m.get("memory", "")).strip() and is_project_fact(m, root)]


def render_section(memories: Iterable[Mapping[str, Any]], newline: str = "\n") -> str:
    """The managed block (markers and the opt-in line included) listing ``memories`` one per line.

    No user id goes into the file: it is shared with everyone who reads the repository.
    """
    lines = [markers.MANAGED_BEGIN, OPT_IN, HEADING, ""]
    body = [f"- {' '.join(str(m.get('memory', '')).split())}" for m in memories if str(m.get("memory", "")).strip()]
    lines += body[:MAX_LINES] or ["- (no project memories yet)"]
    lines += ["", FOOTER, markers.MANAGED_END]
    return newline.join(lines)


def _section(existing: str | None) -> str | None:
    if not existing:
        return None
    begin = existing.find(markers.MANAGED_BEGIN)
    end = existing.find(markers.MANAGED_END, begin + 1) if begin >= 0 else -1
    return existing[begin:end] if begin >= 0 and end > begin else None


def opted_in(existing: str | None) -> bool:
    """True if ``existing`` (an AGENTS.md text) carries a section written after an opt-in."""
    section = _section(existing)
    return section is not None and OPT_IN in section


def splice(existing: str | None, section: str) -> str:
    """``existing`` with its managed section replaced by ``section`` (appended when absent)."""
    if not existing:
        return section + "\n"
    begin = existing.find(markers.MANAGED_BEGIN)
    end = existing.find(markers.MANAGED_END, begin + 1) if begin >= 0 else -1
    if begin >= 0 and end > begin:
        return existing[:begin] + section + existing[end + len(markers.MANAGED_END):]
    newline = "\r\n" if "\r\n" in existing else "\n"
    separator = "" if existing.endswith(("\n", "\r")) else newline
    return existing + separator + newline + section + newline


def _read(path: Path) -> str | None:
    return path.read_bytes().decode("utf-8") if path.exists() else None


def not_opted_in_message(path: Path, existing: str | None) -> str:
    """Why nothing was written to ``path``, and what to run."""
    text = (f"not writing {path}: AGENTS.md is usually committed to git, so only memories scoped to this "
            "project go there, and only after you opt in. Run `memctl agents-md sync --opt-in` once for this "
            "project (personal memories are never written).")
    if _section(existing) is not None:
        text += (" Its memory section was written by an older memctl and may list personal memories: "
                 "--opt-in replaces it with project facts only, `memctl agents-md remove` deletes it.")
    return text


def sync_file(path: Path, memories: Iterable[Mapping[str, Any]], *, project: Path, opt_in: bool = False,
              dry_run: bool = False, limit: int = MAX_LINES) -> SyncResult:
    """Rewrite the managed section of ``path`` with the first ``limit`` project facts among ``memories``.

    Raises :class:`NotOptedIn` (writing nothing) unless ``opt_in`` is given or the file already
    carries the opt-in line.
    """
    existing = _read(path)
    if not (opt_in or opted_in(existing)):
        raise NotOptedIn(not_opted_in_message(path, existing))
    everything = list(memories)
    listed = project_facts(everything, project)[:min(limit, MAX_LINES)]
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    updated = splice(existing, render_section(listed, newline))
    changed = updated != existing
    if changed and not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, updated)  # bytes on disk: no newline translation of the untouched parts
    return SyncResult(path, changed, len(listed), len(everything) - len(listed))


def remove_section(path: Path, *, dry_run: bool = False) -> bool:
    """Delete the managed section (and the opt-in with it) from ``path``; True if there was one.

    The blank line a sync added before an appended section goes too, and a file that held
    nothing else is deleted.
    """
    existing = _read(path)
    section = _section(existing)
    if existing is None or section is None:
        return False
    begin = existing.find(section)
    head, tail = existing[:begin], existing[begin + len(section) + len(markers.MANAGED_END):]
    newline = "\r\n" if "\r\n" in existing else "\n"
    if tail == newline and head.endswith(newline * 2):  # the blank line and newline a sync appended with it
        head, tail = head[:-len(newline)], ""
    if not dry_run:
        if (head + tail).strip():
            write_atomic(path, head + tail)
        else:
            path.unlink()
    return True
