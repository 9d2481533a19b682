"""Project facts keep their project: a key from the transcript's working folder, named in the text.

A fact such as "hosted at random.akerud.se" means nothing in another session
unless it says which project it is about. The key (the working folder's name)
goes into metadata, where it filters searches and context; the text names the
project when the judge called it a project convention and it does not already.
"""

from __future__ import annotations

import re

from sidecar_shared.projects import project_name

PROJECT_KINDS = ("project_convention",)
AGENT_NAMES = {"claude-code": "Claude Code", "codex": "Codex", "gemini": "Gemini CLI", "aider": "Aider"}
_SELF_REFERENCE = re.compile(r"^(?:I|I'm|I am)\s+(?=was|am|is|have|has|run|use|installed)", re.IGNORECASE)


def project_key(cwd: str | None) -> str | None:
    """The project a transcript's working folder stands for (None for a home folder or none)."""
    return project_name(cwd)


def name_project(fact: str, kind: str, project: str | None) -> str:
    """``fact`` prefixed with its project ("Project random: hosted at ...") when it needs it."""
    if not project or kind not in PROJECT_KINDS:
        return fact
    lowered = fact.lower()
    if project.lower() in lowered or lowered.startswith(("project ", "the project ")):
        return fact
    return f"Project {project}: {fact[:1].lower() + fact[1:] if fact[1:2].islower() else fact}"


def agent_as_subject(fact: str, agent: str | None) -> str:
    """An agent reporting on itself ("I was installed via npm") names itself ("Gemini CLI was installed via npm")."""
    name = AGENT_NAMES.get(agent or "")
    if not name or not _SELF_REFERENCE.match(fact):
        return fact
    rest = _SELF_REFERENCE.sub("", fact, count=1)
    rest = re.sub(r"^am\b", "is", rest)
    return f"{name} {rest}"
