"""Sentence splitting and light fact normalisation for the embedded judge.

Memory statements follow the project's fact style: no subject for the user
("Is allergic to X", "Prefers httpx"), other people named by relation
("Wife is a surgeon"). The rewrite is deliberately shallow: it only touches
the opening words, so it can never invent content.
"""

from __future__ import annotations

import re

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_LOG_LINE = re.compile(
    r"^\s*(?:Traceback|File \"|at [\w.$]+\(|\w+(?:Error|Exception):|\$ |>>> |[{}\[\]]\s*$|#\s*\w)"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_LEAD_CLAUSE = re.compile(r"(?i)^\s*(?:since|as|because|given that|now that)\s+(?P<clause>[^,]+),\s*\S")
# "X, so <consequence>": the consequence is often a request or a passing state, X the fact
_CONSEQUENCE = re.compile(r"(?i)^(?P<clause>[^,;]{8,}?)(?:,\s*so\b|\s+so that\b|;(?!dr))\s*\S")
_FILLER = re.compile(
    r"(?i)^(?:honestly|heads up|fyi|btw|by the way|oh|also|so|well|anyway|just so you know|"
    r"quick note|note|lol|hey|ok|okay|and|but|yeah|plus)\b[,:!]?\s+"
)
_TRAILING_REQUEST = re.compile(
    r"(?i),?\s+(?:so|and so|which is why)\s+(?:please\s+)?(?:skip|don't|do not|make|keep|give|"
    r"use|avoid|no|any|if|can|could|help|sorry|feel free)\b.*$"
)

_SUBJECT_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)^i'm\s+|^i am\s+|^im\s+"), "Is "),
    (re.compile(r"(?i)^i've been\s+|^i have been\s+"), "Has been "),
    (re.compile(r"(?i)^i've got\s+|^i have got\s+|^i've\s+|^i have\s+"), "Has "),
    (re.compile(r"(?i)^i was\s+"), "Was "),
    (re.compile(r"(?i)^i don't\s+|^i do not\s+"), "Does not "),
    (re.compile(r"(?i)^i can't\s+|^i cannot\s+"), "Cannot "),
    (re.compile(r"(?i)^i'd rather\s+"), "Would rather "),
    (re.compile(r"(?i)^i'll\s+"), "Will "),
    (re.compile(r"(?i)^my\s+"), ""),
    (re.compile(r"(?i)^our\s+(?=repo|codebase|project|team|ci|monorepo|services?)"), ""),
)
_I_VERB = re.compile(r"(?i)^i\s+(?:(?P<adv>always|usually|never|mostly|only|really|just|still|also)\s+)?(?P<verb>[a-z]+)\b")
_WE_VERB = re.compile(r"(?i)^we\s+(?:(?P<adv>always|usually|never|mostly|only|all)\s+)?(?P<verb>[a-z]+)\b")
_DISCOURSE_PREFIX = re.compile(
    r"(?i)^(?:[^:]{0,60}\b(?:mixed (?:that|it) up|misspoke|my mistake|got that wrong|correction|"
    r"heads up|fyi|intro|quick note|update|news|scratch that|vertan|equivoqué)\b[^:]{0,40}|"
    r"wait|sorry|oops|ach nein)\s*:\s+"
)
_NOT_VERBS = {"am", "was", "will", "would", "could", "should", "can", "might", "must", "did", "had", "do", "have"}


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
            and not sentence.endswith(("?", "？"))
            and not re.search(r"[\u4e00-\u9fff]", sentence)
        ):
            sentences[-1] = f"{sentences[-1]} {sentence}"
        else:
            sentences.append(sentence)
    pieces: list[str] = []
    for sentence in sentences:
        lead = _LEAD_CLAUSE.match(sentence)
        if lead:
            pieces.append(lead.group("clause").strip())
        consequence = _CONSEQUENCE.match(sentence)
        if consequence and not lead:
            pieces.append(consequence.group("clause").strip())
        pieces.append(sentence)
    return pieces


def third_person(verb: str) -> str:
    """English present tense, third person singular ("go" -> "goes")."""
    lower = verb.lower()
    if lower == "have":
        return "has"
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return lower + "es"
    if len(lower) > 1 and lower.endswith("y") and lower[-2] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


def _present_or_past(verb: str) -> str:
    return verb.lower() if verb.lower().endswith("ed") else third_person(verb)


def drop_subsumed(facts: list[str]) -> list[str]:
    """Keep each fact once; a fact that merely extends a shorter kept one (its clause) is dropped."""
    unique = list(dict.fromkeys(facts))
    return [
        fact for fact in unique
        if not any(other != fact and fact.startswith(other) for other in unique)
    ]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def normalise_fact(sentence: str) -> str:
    """Rewrite one passing sentence into the fact style; unknown shapes pass through trimmed."""
    fact = sentence.strip().strip("*_ ")
    for _ in range(3):
        fact = _FILLER.sub("", fact).strip()
    fact = _DISCOURSE_PREFIX.sub("", fact).strip()
    fact = _TRAILING_REQUEST.sub("", fact).strip()
    fact = fact.rstrip(" .!;:…").strip()
    for pattern, replacement in _SUBJECT_REWRITES:
        if pattern.match(fact):
            return _capitalise(pattern.sub(replacement, fact, count=1))
    match = _I_VERB.match(fact)
    if match and match.group("verb").lower() not in _NOT_VERBS:
        adverb = f"{match.group('adv').capitalize()} " if match.group("adv") else ""
        verb = _present_or_past(match.group("verb"))
        return _capitalise(adverb + verb + fact[match.end():])
    match = _WE_VERB.match(fact)
    if match and match.group("verb").lower() not in _NOT_VERBS:
        adverb = f"{match.group('adv')} " if match.group("adv") else ""
        return "Team " + adverb + _present_or_past(match.group("verb")) + fact[match.end():]
    return _capitalise(fact)


def counterfactual_fact(verb: str, clause: str) -> str:
    """Fact presupposed by a counterfactual: ("weren't", "so allergic to horses") -> "Is allergic to horses"."""
    clause = re.sub(r"(?i)^(?:so|such a|that)\s+", "", clause.strip())
    head = "Has " if "have" in verb.lower() or verb.lower() == "hadn't" else "Is "
    return head + clause
