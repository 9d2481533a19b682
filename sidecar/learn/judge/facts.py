"""Sentence splitting and small fact helpers for the embedded judge.

Accepted sentences are turned into standalone facts by
:mod:`sidecar.learn.judge.standalone` (a dependency parse, not patterns); this
module only splits prose into sentences, drops code, removes facts subsumed by
shorter ones and states the fact a counterfactual presupposes.
"""

from __future__ import annotations

import re

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_LOG_LINE = re.compile(
    r"^\s*(?:Traceback|File \"|at [\w.$]+\(|\w+(?:Error|Exception):|\$ |>>> |[{}\[\]]\s*$|#\s*\w)"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
# "Since I'm vegan, what should I cook?" (not "Since we last spoke, …": that "since" is a time)
_LEAD_CLAUSE = re.compile(r"(?i)^\s*(?:since|as|because|given that|now that)\s+"
                          r"(?!(?:we|i)\s+(?:last|first)\b|then\b|last\b|our last\b|the last\b)(?P<clause>[^,]+),\s*\S")
# "X, so <consequence>" or "X, which <comment>": the tail is often a request, a passing state or an aside; X the fact
_CONSEQUENCE = re.compile(r"(?i)^(?P<clause>[^,;]{8,}?)(?:,\s*(?:so|which)\b|\s+so that\b|;(?!dr))\s*\S")

# "coworkers dragged me to an omakase place and now I'm obsessed with sushi": how it came about, then the
# speaker's state now; the state is the fact, and the story would make the coworkers its subject
_NOW_STATE = re.compile(r"(?i)^.{8,}?(?:,\s*|\s+)(?:and|but|so)\s+now\s+(?P<clause>(?:i|i'm|i am|we|we're|we are)\b.+)$")

# "It's tough to pick just one, but I really enjoy the upside-down poses": the pronoun-led opening stands
# for nothing on its own; the speaker's clause after it is the fact
_OWN_CLAUSE_AFTER = re.compile(
    r"(?i)^(?:it|that|this|they|there)\b[^,;]{0,80},\s*(?:but|and|so)\s+"
    r"(?P<clause>(?:i|i'm|i've|i'd|we|we're|we've|my|our)\b.{8,})$")


def strip_code(text: str) -> str:
    """Drop fenced code blocks and log/traceback lines; keep the prose around them."""
    prose = _FENCED_CODE.sub("\n", text)
    return "\n".join(line for line in prose.splitlines() if not _LOG_LINE.match(line))


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; a leading "Since X, <question>" clause becomes its own sentence."""
    sentences: list[str] = []
    for raw in _SENTENCE_END.split(strip_code(text)):
        sentence = raw.strip()
        if len(sentence) < 2:
            continue
        # "No merge commits. Ever." — a one- or two-word tail belongs to the sentence before it
        if (
            sentences
            and len(sentence.split()) < 3
            and not sentence.rstrip("!").endswith(("?", "？"))
            and not re.search(r"[\u4e00-\u9fff]", sentence)
        ):
            sentences[-1] = f"{sentences[-1]} {sentence}"
        else:
            sentences.append(sentence)
    pieces: list[str] = []
    for sentence in sentences:
        now_state = _NOW_STATE.match(sentence)
        if now_state:
            pieces.append(now_state.group("clause").strip())
            continue
        own = _OWN_CLAUSE_AFTER.match(sentence)
        if own:
            pieces.append(own.group("clause").strip())
            continue
        lead = _LEAD_CLAUSE.match(sentence)
        if lead:
            pieces.append(lead.group("clause").strip())
        consequence = _CONSEQUENCE.match(sentence)
        if consequence and not lead:
            pieces.append(consequence.group("clause").strip())
        pieces.append(sentence)
    return pieces


def drop_subsumed(facts: list[str]) -> list[str]:
    """Keep each fact once; a fact that merely extends a shorter kept one (its clause) is dropped."""
    unique = list(dict.fromkeys(facts))
    return [
        fact for fact in unique
        if not any(other != fact and fact.startswith(other) for other in unique)
    ]


def counterfactual_fact(verb: str, clause: str) -> str:
    """Fact presupposed by a counterfactual: ("weren't", "so allergic to horses") -> "Is allergic to horses"."""
    clause = re.sub(r"(?i)^(?:so|such a|that)\s+", "", clause.strip())
    head = "Has " if "have" in verb.lower() or verb.lower() == "hadn't" else "Is "
    return head + clause
