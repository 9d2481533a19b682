"""What a stored fact says: its subject, the property it sets and the value, for single-valued properties.

Consolidation may only supersede one memory by another when both set the same
property of the same subject to different values ("Lives in Oslo" / "Lives in
Bergen"). Properties that hold several values at once (likes, uses, speaks,
has) are deliberately absent: "Uses Rust" and "Uses Go" are both true. A fact
this module cannot read returns None, and consolidation then only merges exact
or near restatements.

Names, numbers and versions in the subject make different subjects ("Project
Wen22 uses Rust" vs "Project Chen2 uses Rust"); :func:`identifiers` gives them
to the restatement test too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Facet:
    """One single-valued property of one subject: ``subject`` "" is the user."""

    subject: str
    property: str
    value: str


_SUBJECT = r"(?P<subject>(?:[\w'’.+#\-]+ ){0,4}?)"
_VALUE = r"(?P<value>.+?)"
_END = r"\s*\.?\s*$"
_DIETS = r"vegan|vegetarian|pescatarian|omnivore|omnivorous|carnivore|keto|paleo|flexitarian|teetotal"
_DRUG_UNIT = r"(?:mg|mcg|µg|g|ml|iu|units?)"
_OWN = r"(?:[\w'’]+ ){0,2}?"

_DOSE = rf"(?P<value>\d[\d.,]* ?{_DRUG_UNIT}(?: \w+ (?:a |per )?day| daily)?)"
_DRUG = r"(?P<what>[a-z][\w\-]+)"
_ITEM = r"(?P<value>[\w.+#\-]+(?: [\w.+#\-]+){0,2})"  # a tool or a choice: one to three words
_SLOTS = (r"favou?rite \w+(?: \w+)?|manager|boss|wife|husband|partner|birthday|phone number|email(?: address)?|"
          r"home address|address|time ?zone|timezone|default shell|shell|default editor|editor|job title|title|role|"
          r"employer|package manager|dose|salary|rent|height|weight|blood type|team")
_PURPOSES = (r"tests|testing|linting|formatting|type checking|packaging|builds|bundling|ci|deployment|deploys|"
             r"migrations|logging")

# (property, pattern). The first that matches wins; the property may take a group of its own ("what").
_RULES: tuple[tuple[str, str], ...] = (
    ("dose of {what}", rf"(?:takes|is on|was prescribed|is prescribed) {_DOSE} (?:of )?{_DRUG}(?: .*)?"),
    ("dose of {what}", rf"(?:takes|is on) {_DRUG},? {_DOSE}(?: .*)?"),
    ("dose of {what}", rf"{_DRUG} dose is (?P<value>\d[\d.,]* ?{_DRUG_UNIT}.*?)"),
    ("residence", rf"(?:lives|is living|resides|is based|lives and works|currently lives) in {_VALUE}"),
    ("employer", rf"(?:works|is working|is employed) (?:at|for|by) {_VALUE}"),
    ("diet", rf"(?:is|eats|follows a) (?:a |an |strictly |fully |now )?(?P<value>(?:{_DIETS})\b.*?)(?: diet)?"),
    ("age", r"is (?P<value>\d{1,3}) (?:years old|yo)\b.*?"),
    ("name", rf"(?:name is|is called|is named|goes by) {_VALUE}"),
    ("spouse", rf"is married to {_VALUE}"),
    ("{what}", rf"(?P<what>{_OWN}(?:{_SLOTS})) (?:is|are) {_VALUE}"),
    ("package manager for {what}", r"uses (?P<value>[\w.\-]+) (?:as (?:the |their |its )?package manager|"
                                   r"to manage packages)(?: for (?P<what>[\w.\- ]+))?"),
    ("default {what}", rf"(?:default|main) (?P<what>shell|editor|browser|terminal|os|language) is {_VALUE}"),
    ("answer language", r"wants (?:answers|replies|responses) in (?P<value>[A-Z][\w\-]+)"),
    ("number of children", r"has (?P<value>\d+|one|two|three|four|five|six|seven|eight|nine|ten) "
                           r"(?:kids|children)\b.*?"),
    ("morning drink", r"drinks (?P<value>.+?) (?:every morning|each morning|in the mornings?)\b.*?"),
    ("preference for {what}", rf"prefers {_ITEM} for (?P<what>[\w\- ]{{2,40}})"),
    ("tool for {what}", rf"uses {_ITEM} for (?P<what>{_PURPOSES})"),
    ("feeling about {what}", r"(?P<value>likes|loves|enjoys|dislikes|hates|detests|adores) (?P<what>[\w\- ]{2,40})"),
)
_PATTERNS = tuple((name, re.compile(rf"(?i)^{_SUBJECT}{body}{_END}")) for name, body in _RULES)

_PAREN = re.compile(r"\s*\([^)]*\)")
_SPACES = re.compile(r"\s+")
_IDENT = re.compile(r"\b(?:v?\d[\w.\-]*|[\w\-]*\d[\w.\-]*|[A-Z][\w\-]*[A-Z0-9][\w\-]*)\b")
_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][^\W\d_]{2,}\b")
# values that must be a proper name ("Lives in Oslo", not "Lives in a flat", which coexists with a city)
_NAMED = {"residence", "employer", "name", "spouse"}
_OWNER = re.compile(r"(?i)^(?:my|the|our) ")
_NEGATION = re.compile(r"(?i)\b(?:not|never|no longer|n't|doesn't|don't|isn't|stopped|quit|no)\b")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip().strip(".").strip()).lower()


def facet_of(text: str) -> Facet | None:
    """The single-valued property ``text`` sets, or None when it sets none this module knows."""
    plain = _SPACES.sub(" ", _PAREN.sub("", text).strip())  # qualifiers in parentheses are no part of a value
    if _NEGATION.search(plain):
        return None  # a negated or past statement is not a current value
    for name, pattern in _PATTERNS:
        match = pattern.match(plain)
        if match is None:
            continue
        groups = match.groupdict()
        prop = name.format(what=_OWNER.sub("", _norm(groups.get("what") or ""))).strip()
        raw = _PAREN.sub("", groups["value"]).strip()
        if name in _NAMED and not raw[:1].isupper():
            continue
        value = _norm(raw)
        subject = _OWNER.sub("", _norm(groups.get("subject") or ""))
        subject = "" if subject in ("", "user", "the user", "i", "i am", "i'm") else subject
        if value:
            return Facet(subject, prop, value)
    return None


def identifiers(text: str) -> set[str]:
    """Names, numbers, versions and ids in ``text`` (lower-cased); two facts differing in these differ."""
    found = {m.group(0).lower() for m in _IDENT.finditer(text)}
    found |= {m.group(0).lower() for m in _NAME.finditer(text)}
    return found


def negated(text: str) -> bool:
    """Whether ``text`` negates or ends something ("Doesn't eat meat", "No longer at Monzo")."""
    return bool(_NEGATION.search(text))


def value_refines(old: str, new: str) -> bool:
    """``new`` starts with ``old`` and adds detail ("spotify" → "spotify as a data engineer").

    A value that only mentions the old one later ("austin; relocating to denver" next to
    "denver") is another value.
    """
    return bool(old) and (new == old or new.startswith(old + " ") or new.startswith(old + ","))
