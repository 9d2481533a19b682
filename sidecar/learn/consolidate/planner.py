"""The consolidation plan of one scope: which memories repeat or outdate another, and which one stays.

Memories are compared only inside one partition: the same (user_id, agent_id,
run_id) scope and the same ``metadata.project``; nothing is ever compared
across users, scopes or projects. Within a partition, two memories are related
when

* their embedder cosine is at least :data:`CANDIDATE_MIN` (MiniLM, the cosine
  the reconciler's thresholds use), or they set the same single-valued property
  of the same subject (:mod:`.facets`; "Works at Spotify" / "Works at Google"
  sit at cosine 0.32), and then
* they are about the same subject in the same context (the reconciler's
  :func:`sidecar.learn.reconcile.facets.facets`: "Project Wen22" is not "Project
  Chen2", "at work" is not "at home"), and
* they **restate** each other (same names/numbers/versions, no negation on one
  side only, and either cosine ≥ :data:`NEAR_DUPLICATE_MIN` or one's content
  words are a subset of the other's at cosine ≥ :data:`IMPLIED_MIN`), or
* one **supersedes** the other: same subject and property, a different value.

Single-valued properties and their values are read by this package's own
:mod:`.facets`, stricter than the reconciler's slots because nobody confirms a
consolidation as it happens.

Related memories form groups (connected components). In each group the newest
memory is the anchor; the survivor is the anchor, or an older memory that says
everything the anchor says and more. Every other member directly related to
the survivor or the anchor is deleted, with the reason; a member related only
through a third memory is kept. Names, numbers and versions that differ make
different facts, so they are never merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from sidecar.learn.consolidate.facets import Facet, facet_of, identifiers, negated, value_refines
from sidecar.learn.reconcile.facets import Facets, facets
from sidecar.learn.reconcile.rules import content_words
from sidecar_shared.protocol import SCOPE_KEYS

# MiniLM cosines, chosen on the pairs in tests/learn/consolidate/test_planner.py: paraphrases with the
# same words sit at 0.95-0.99 ("every morning" / "each morning" 0.987); a fact and its detailed form
# at 0.75-0.9 ("Lives in Oslo" / "... (Grünerløkka area)" 0.848); same-property different-value pairs at
# 0.3-0.98, which is why values are compared by facets and identifiers, never by cosine alone.
CANDIDATE_MIN = 0.5
NEAR_DUPLICATE_MIN = 0.9
IMPLIED_MIN = 0.75

RESTATES = "restates"
SUPERSEDES = "supersedes"


@dataclass(frozen=True)
class Memory:
    """One stored memory as the planner sees it."""

    id: str
    text: str
    when: str  # updated_at, else created_at, in UTC (ISO 8601 text orders them)
    scope: tuple[str | None, ...]
    project: str | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Memory:
        metadata = row.get("metadata") or {}
        return cls(str(row["id"]), str(row.get("memory") or ""), _utc(row.get("updated_at") or row.get("created_at")),
                   tuple(row.get(k) or None for k in SCOPE_KEYS), metadata.get("project"))

    @property
    def partition(self) -> tuple[Any, ...]:
        return (*self.scope, self.project)


@dataclass(frozen=True)
class Removal:
    """A memory the plan deletes, and why."""

    memory: Memory
    relation: str  # RESTATES or SUPERSEDES
    reason: str


@dataclass(frozen=True)
class Group:
    """Memories that say the same thing or set the same property: the one kept, the ones deleted."""

    survivor: Memory
    removals: tuple[Removal, ...]
    kept: tuple[Memory, ...] = ()  # members related only through another memory: left alone

    def as_dict(self) -> dict[str, Any]:
        return {"survivor": _memory_dict(self.survivor),
                "delete": [{**_memory_dict(r.memory), "relation": r.relation, "reason": r.reason}
                           for r in self.removals],
                "kept": [_memory_dict(m) for m in self.kept]}


@dataclass
class _Facts:
    """Per-memory features, computed once."""

    facets: list[Facet | None]
    ids: list[set[str]]
    words: list[set[str]]
    negations: list[bool]
    shared: list[Facets]  # the reconciler's reading: subject and context ("at work" / "at home")
    edges: dict[tuple[int, int], str] = field(default_factory=dict)

    def edge(self, i: int, j: int) -> str | None:
        return self.edges.get((min(i, j), max(i, j)))


def plan_groups(memories: Sequence[Memory], vectors: np.ndarray) -> list[Group]:
    """The groups of ``memories`` (one partition), given their L2-normalised embedder ``vectors``."""
    if len(memories) < 2:
        return []
    facts = _Facts([facet_of(m.text) for m in memories], [identifiers(m.text) for m in memories],
                   [content_words(m.text) for m in memories], [negated(m.text) for m in memories],
                   [facets(m.text) for m in memories])
    for i, j, sim in _candidates(facts, vectors):
        relation = _relate(facts, i, j, sim)
        if relation is not None:
            facts.edges[(i, j)] = relation
    groups = []
    for members in _components(len(memories), facts.edges):
        group = _decide(memories, facts, members)
        if group is not None and group.removals:
            groups.append(group)
    return groups


def partitions(memories: Sequence[Memory]) -> dict[tuple[Any, ...], list[int]]:
    """Indexes of ``memories`` by (scope, project): the only sets ever compared with each other."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for index, memory in enumerate(memories):
        out.setdefault(memory.partition, []).append(index)
    return out


def _candidates(facts: _Facts, vectors: np.ndarray, block: int = 256) -> list[tuple[int, int, float]]:
    """Pairs (i < j) worth comparing: close in meaning, or setting the same property of the same subject."""
    n = len(facts.facets)
    pairs: dict[tuple[int, int], float] = {}
    for start in range(0, n, block):
        sims = vectors[start:start + block] @ vectors.T
        for row, col in zip(*np.nonzero(sims >= CANDIDATE_MIN)):
            i, j = start + int(row), int(col)
            if i < j:
                pairs[(i, j)] = float(sims[row, col])
    by_slot: dict[tuple[str, str], list[int]] = {}
    for index, facet in enumerate(facts.facets):
        if facet is not None:
            by_slot.setdefault((facet.subject, facet.property), []).append(index)
    for members in by_slot.values():
        for a, i in enumerate(members):
            for j in members[a + 1:]:
                pairs.setdefault((i, j), float(vectors[i] @ vectors[j]))
    return [(i, j, sim) for (i, j), sim in sorted(pairs.items())]


def _relate(facts: _Facts, i: int, j: int, sim: float) -> str | None:
    """RESTATES, SUPERSEDES or None (different facts) for one pair."""
    si, sj = facts.shared[i], facts.shared[j]
    if si.other_subject(sj) or si.contexts != sj.contexts:
        return None  # another person, project or machine; or the same property in another context
    fi, fj = facts.facets[i], facts.facets[j]
    if fi is not None and fj is not None:
        if (fi.subject, fi.property) == (fj.subject, fj.property):
            same = fi.value == fj.value or value_refines(fi.value, fj.value) or value_refines(fj.value, fi.value)
            return RESTATES if same else SUPERSEDES
        if fi.subject != fj.subject:
            return None  # another person, project or machine
    if facts.negations[i] != facts.negations[j]:
        return None
    small, big = (i, j) if len(facts.words[i]) <= len(facts.words[j]) else (j, i)
    if facts.ids[small] - facts.ids[big]:
        return None  # a name, number or version the other does not have: a different fact
    if sim >= NEAR_DUPLICATE_MIN and facts.ids[i] == facts.ids[j]:
        return RESTATES
    if sim >= IMPLIED_MIN and facts.words[small] and facts.words[small] <= facts.words[big]:
        return RESTATES
    return None


def _components(n: int, edges: Mapping[tuple[int, int], str]) -> list[list[int]]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for index in range(n):
        groups.setdefault(root(index), []).append(index)
    return [members for members in groups.values() if len(members) > 1]


def _decide(memories: Sequence[Memory], facts: _Facts, members: list[int]) -> Group | None:
    ordered = sorted(members, key=lambda k: (memories[k].when, memories[k].id), reverse=True)
    anchor = survivor = ordered[0]
    for k in ordered[1:]:
        says_more = facts.words[anchor] <= facts.words[k] and facts.ids[anchor] <= facts.ids[k] \
            and len(facts.words[k]) > len(facts.words[survivor])
        if facts.edge(anchor, k) == RESTATES and says_more:
            survivor = k  # an older memory that says all the newest says, and more
    removals, kept = [], []
    for k in ordered:
        if k == survivor:
            continue
        relation = RESTATES if k == anchor else facts.edge(survivor, k) or facts.edge(anchor, k)
        if relation == SUPERSEDES and memories[k].when >= memories[anchor].when:
            relation = None  # written at the same moment: which value is current cannot be told
        if relation is None:
            kept.append(memories[k])
            continue
        removals.append(Removal(memories[k], relation, _reason(memories, facts, relation, k, survivor, anchor)))
    return Group(memories[survivor], tuple(removals), tuple(kept))


def _reason(memories: Sequence[Memory], facts: _Facts, relation: str, k: int, survivor: int, anchor: int) -> str:
    kept = memories[survivor].text
    if relation == SUPERSEDES:
        facet = facts.facets[k]
        what = f"{facet.subject + ' ' if facet and facet.subject else ''}{facet.property if facet else 'value'}"
        return f"stale {what}: the newer memory '{kept}' replaces it"
    if k == anchor:
        return f"newer but says less than '{kept}'"
    if memories[k].text.strip().lower() == kept.strip().lower():
        return f"same text as '{kept}'"
    return f"restates '{kept}'"


def _utc(stamp: Any) -> str:
    """mem0 writes local times with their offset (a DST change would misorder them as text): UTC text."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).isoformat()


def _memory_dict(memory: Memory) -> dict[str, Any]:
    return {"id": memory.id, "memory": memory.text, "when": memory.when}
