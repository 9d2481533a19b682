"""Chat sentences that drop their "I": recognising them, and giving the fact its speaker back.

In a chat people write "Still working on opening a dance studio", "Been only to Rome
once", "Lost my job as a banker yesterday", "Was super nervous last week". The judge reads such a sentence of a named
speaker as about that speaker (:data:`ELLIPTIC_SELF`); the rewrite then puts the
speaker in front, with the auxiliary the verb form needs ("Jon is still working on…",
"Jon has been only to Rome once", "Jon lost Jon's job…"), instead of storing a fact
without a subject. The parser is no help here: a sentence that opens with a bare
past form is often parsed as an imperative ("Lost" as VB) or a noun ("Went" as NNP),
so the verb is recognised by its word, from this closed list.
"""

from __future__ import annotations

import re

_ADVERBS = r"still|just|also|finally|recently|really|totally"
_VERBS = (r"was|been|got|gotten|went|had|made|lost|took|saw|met|bought|found|left|began|won|gave|kept|felt|heard|"
          r"started|finished|tried|joined|visited|moved|working|trying|thinking|planning|learning|reading|"
          r"loving|enjoying|getting|taking|hoping|gonna")

ELLIPTIC_SELF = re.compile(rf"(?i)^\W*(?:{_ADVERBS})?\s*(?:{_VERBS})\b")
_FACT_START = re.compile(rf"(?i)^(?P<adverb>(?:{_ADVERBS})\s+)?(?P<verb>{_VERBS})\b(?P<rest>.*)$", re.S)


def with_speaker(fact: str, speaker: str) -> str:
    """``fact`` with ``speaker`` as its subject when it opens with a dropped-"I" verb; else unchanged."""
    match = _FACT_START.match(fact)
    if match is None:
        return fact
    verb = match["verb"].lower()
    adverb = (match["adverb"] or "").lower()
    if verb == "been":
        aux = "has "
    elif verb.endswith("ing") or verb == "gonna":
        aux = "is "
    else:
        aux = ""
    return f"{speaker} {aux}{adverb}{verb}{match['rest']}"
