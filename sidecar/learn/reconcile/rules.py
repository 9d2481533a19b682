"""Lexical cues for reconciliation: retraction, replacement, restatement, addition, subject.

The project's convention: a retraction with no replacement value is DELETE (no
negated memory is stored); a new value for the same slot is UPDATE; a
restatement is NONE; a separate item, or the same claim about someone else, is ADD.
"""

from __future__ import annotations

import re


def _cue(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?i)(?:^|\b)(?:" + "|".join(phrases) + r")(?:\b|$)")


# Retractions worded as negations ("not vegan anymore", "no longer"): a negation is what makes them one.
RETRACTION = _cue(
    r"not \w+(?: \w+)? anymore", r"(?:don't|do not|doesn't|no longer|never) \w+ (?:\w+ )?anymore",
    r"anymore", r"no longer", r"ignore what i said", r"forget what i said", r"disregard",
    r"that wasn't about me", r"(?:is|are) (?:over|closed)", r"you can stop", r"not true", r"nicht mehr", r"ya no",
    r"不再",
)
# Retractions worded as an act ("stopped", "quit", "sold the"): negated, they say the opposite ("I won't quit",
# "I'll never forget the day…", "Don't quit!"), so a negation just before one cancels it.
RETRACTION_ACTS = _cue(
    r"stopped", r"quit", r"cancell?ed", r"forget (?:about )?the", r"broke up", r"split up", r"sold (?:the|my|our)",
    r"gave up", r"pulled out of", r"dropped out", r"got rid of", r"stop \w+ing", r"passed away",
)
_NEGATED = re.compile(r"(?i)(?:\b(?:not|never|no|won't|wont|don't|dont|didn't|can't|cannot|wouldn't)|n't)"
                      r"(?:\s+\w+){0,2}\s*$")

# "went vegan", "went freelance" change a value; "went on a hike", "went camping", "went to Paris" are outings
_NOT_A_TRIP = (r"(?!(?:to|back|on|out|for|with|through|into|in|up|down|there|home|a|an|the|over|off|by|and|from|"
               r"all|camping)\b)(?!\w+ing\b)\w+")
# Wording that supplies a new value for a slot rather than only removing the old one.
REPLACEMENT = _cue(
    r"moved to", r"moved (?:from|off)", r"moving (?:from|to)", r"migrated", r"switched", r"switch(?:ing)? (?:back )?to",
    r"changed", r"instead of", r"replaced", r"(?<!for )(?<!right )(?<!just )now", r"these days", r"started at", r"joined",
    r"went (?:fully |full )?" + _NOT_A_TRIP, r"converted", r"relocat\w+", r"settled in", r"upgraded",
    r"downgraded", r"promoted", r"new job", r"all the way", r"actually", r"correction",
    r"not \w+, (?:but )?\w+", r"sorry, \w+", r"left \w+ (?:and|to)", r"is \w+ now", r"from \w+ to \w+",
    r"jetzt", r"ahora", r"现在", r"raised", r"lowered", r"increased", r"decreased", r"upped", r"bumped",
    r"reduced", r"dropped (?:it |the dose )?to", r"went (?:up|down)",
)
# A retraction that also names what replaced it ("left X and went freelance") is an UPDATE.
NEW_VALUE = _cue(
    r"started (?:at|with|as)", r"joined", r"went (?:fully |full )?" + _NOT_A_TRIP, r"switched to",
    r"moved to", r"instead", r"it's \w+(?: \w+)? now", r"now (?:i'm|i am|it's|we use|i use)",
    r"replaced (?:it|them) with", r"jetzt", r"ahora", r"(?<!for )(?<!right )(?<!just )now", r"(?:run|do) everything (?:through|with|in)",
    r"(?:use|using) \w+ (?:instead|now)",
)
# Announced plans are merged into the current value rather than replacing it.
PLANNED_CHANGE = _cue(r"relocating", r"planning to move", r"will move", r"moving (?:to|next)", r"about to")
RESTATEMENT = _cue(
    r"like i said", r"as i said", r"as i mentioned", r"reminder(?=\s*[:,\-–—])", r"reminder that", r"again:", r"still",
    r"just to repeat", r"once more", r"wie gesagt", r"como dije",
)
ADDITION = _cue(r"also", r"too", r"as well", r"another", r"second", r"besides", r"in addition")

_RELATIONS = (
    "brother", "sister", "mother", "mom", "mum", "father", "dad", "parents", "son", "daughter",
    "wife", "husband", "partner", "girlfriend", "boyfriend", "friend", "boss", "manager",
    "colleague", "coworker", "teammate", "cofounder", "co-founder", "grandmother", "grandfather",
    "aunt", "uncle", "cousin", "nephew", "niece", "kids", "child", "children", "baby",
    "in-law", "roommate", "neighbour", "neighbor",
)
RELATIONS = frozenset(_RELATIONS)
_RELATION = re.compile(r"(?i)\b(" + "|".join(re.escape(r) for r in _RELATIONS) + r")s?\b")
_RELATION_SUBJECT = re.compile(
    r"(?i)^\s*(?:my|our|the|his|her)?\s*(?:older |younger |little |big |best |oldest |youngest )?("
    + "|".join(re.escape(r) for r in _RELATIONS)
    + r")s?\b"
)


def subject_of(statement: str) -> str:
    """Who a statement is about: a relation word ("brother") or "user" (fact style has no subject)."""
    match = _RELATION_SUBJECT.match(statement)
    return match.group(1).lower() if match else "user"


def mentions_relation(statement: str) -> bool:
    """True if the statement names a person by relation anywhere."""
    return bool(_RELATION.search(statement))


def is_retraction(text: str) -> bool:
    """A retraction of something previously stated (an act of retracting that is not negated)."""
    if RETRACTION.search(text):
        return True
    return any(not _NEGATED.search(text[max(0, m.start() - 30):m.start()]) for m in RETRACTION_ACTS.finditer(text))


def gives_replacement(text: str) -> bool:
    """The text supplies a new value for a slot (move, switch, change, correction)."""
    return bool(REPLACEMENT.search(text))


_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-]*", re.I)
_STOP = {
    "i", "a", "an", "the", "is", "are", "am", "my", "me", "to", "of", "in", "on", "at", "for", "and",
    "or", "with", "it", "its", "it's", "i'm", "has", "have", "be", "was", "not", "no", "so", "now",
    "that", "this", "we", "our", "just", "all", "as", "by", "from", "but", "anymore", "don't", "do",
}


# A death is news about someone, not the speaker taking back a fact: with nothing stored to remove, it is kept.
DEATH = _cue(r"passed away", r"died", r"lost (?:my|our|her|his) (?:\w+ )?(?:grand)?(?:mom|mother|dad|father|parent|"
             r"sister|brother|son|daughter|wife|husband|partner|friend|grandma|grandpa|dog|cat|pet)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def fact_sentence(fact: str, said: str) -> str:
    """The sentence of the utterance ``said`` that ``fact`` was made from (most content words shared)."""
    sentences = [s for s in _SENTENCE_END.split(said) if s.strip()]
    if len(sentences) <= 1:
        return said
    words = content_words(fact)
    return max(sentences, key=lambda sentence: len(words & content_words(sentence)))


def content_words(text: str) -> set[str]:
    """Lower-cased content words, for overlap tests between a fact and a memory."""
    return {w.lower().strip(".") for w in _WORD.findall(text)} - _STOP
