"""The verdict on a verified observation: a fact a detector read from tool output.

Observations come already in fact form from :mod:`sidecar.learn.observe`, with
their evidence; no judge, embedded or LLM, is asked to second-guess them.
"""

from __future__ import annotations

from sidecar.learn.judge.verdict import Verdict


def observation_verdict(fact: str, *, backend: str) -> Verdict:
    """Keep ``fact``: a project convention when it names the project, else an environment fact."""
    kind = "project_convention" if fact.startswith(("Project ", "The project ")) else "environment"
    reasons = {
        "factuality": "read by the agent from files or tool output (a verified observation)",
        "stability": "describes how the project or machine is set up",
        "reuse": "useful in every later session on this project or machine",
    }
    return Verdict(True, kind, (fact.strip(),), reasons, 0.9, backend)
