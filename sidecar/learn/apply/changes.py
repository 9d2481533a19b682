"""Changes pass the gate: a turned-down statement that changes or retracts a stored durable fact.

The judge reads one utterance alone, so "Quick update: I'm not pescatarian anymore" or "we
moved to Bergen last weekend!" look like small talk or a passing state. Said next to a stored
"Is pescatarian" or "Lives in Oslo", they are the change of a durable fact. This module says
whether a turned-down utterance is such a change: it must carry a change cue (a retraction or
a new value), and one of the speaker's memories must be about the same thing — the same
property of the same subject (:mod:`sidecar.learn.reconcile.facets`, at any cosine: "Spaces all
the way now" is 0.19 from "Tabs. Always tabs"), or a shared name or value at a cosine of at least
``RELATED_MIN`` — or simply very close (``CLOSE_MIN``).

The pipeline then reconciles the statement with that memory and applies only an UPDATE or a
DELETE: a turned-down statement never becomes a new memory of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sidecar.learn.judge.rules import STATUS_REPORT
from sidecar.learn.reconcile import rules as cues
from sidecar.learn.reconcile.decision import Neighbour
from sidecar.learn.reconcile.facets import facets
from sidecar.learn.reconcile.horizon import horizon, strip_horizon

# Judge kinds a change can hide behind. Questions, hypotheticals, secrets and assistant guesses never
# change a memory; neither does a statement with a forward horizon ("vegetarian this week").
CHANGE_KINDS = frozenset({"transient_state", "small_talk", "one_off_instruction", "correction", "personal_fact",
                          "preference", "identity", "environment", "project_convention", "third_party_fact"})
# MiniLM cosine between a change and the memory it changes, measured on conflicts_dev: 0.0-0.6 for a
# same-property change, 0.45+ for a retraction naming its value ("Sold the Outback" / "Drives a 2015
# Subaru Outback"); unrelated memories of one user sit below 0.3.
RELATED_MIN = 0.3
CLOSE_MIN = 0.6
_OPENER = re.compile(r"(?i)^\s*(?:[\w' ]{1,30}):\s+")
_FILLER = re.compile(r"(?i)^\s*(?:ok(?:ay)?|so|well|oh|also|anyway|btw|fyi|heads up|big news|quick update|update)"
                     r"\b[,!.:]?\s*")


def change_target(text: str, neighbours: Sequence[Neighbour]) -> Neighbour | None:
    """The stored memory ``text`` changes or retracts, if it does; None for anything else."""
    said = " ".join(text.split())
    if "?" in said or horizon(said) is not None:
        return None
    if any(STATUS_REPORT.match(part) for part in re.split(r"(?<=[.!?])\s+|\n", text) if part.strip()):
        return None  # "it works now, hosted at x.se": how the task went, not a changed fact
    if not (cues.is_retraction(said) or cues.gives_replacement(said) or cues.NEW_VALUE.search(said)):
        return None
    mine = facets(said)
    for neighbour in neighbours:
        held = facets(neighbour.text)
        shared = bool(mine.keys & held.keys)
        if mine.other_subject(held) and not shared:
            continue
        if neighbour.score >= CLOSE_MIN or mine.same_slot(held) or (neighbour.score >= RELATED_MIN and shared):
            return neighbour
    return None


def change_fact(text: str) -> str:
    """The statement as a memory text: openers ("Big news:", "Quick update:") and time phrases dropped."""
    fact = " ".join(text.split())
    for _ in range(2):
        fact = _FILLER.sub("", fact)
        if (opener := _OPENER.match(fact)) and len(opener.group(0).split()) <= 4:
            fact = fact[opener.end():]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", strip_horizon(fact)) if s]
    # "Started at Klarna. The Spotify chapter is closed.": keep the new value, not the retraction of the old one
    kept = [s for s in sentences if not (cues.is_retraction(s) and not cues.gives_replacement(s))] or sentences
    fact = " ".join(kept).strip().rstrip("!.") or text.strip()
    return fact[:1].upper() + fact[1:]
