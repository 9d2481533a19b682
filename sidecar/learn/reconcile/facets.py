"""What a fact is about: its subject, the properties it sets, and the values that tell facts apart.

Reconciliation compares values, not just sentences: "Project Wen22 uses Rust" and "Project
Chen2 uses Rust" are near-identical to an embedder but are about different projects (ADD);
"Lives in Oslo" and "Moved to Bergen" are far apart in cosine but set the same property of the
same subject (UPDATE). Everything here is lexical, cheap and deterministic:

* **subject** — "user" for fact-style statements ("Lives in Bergen", "Team moved…"), a
  relation word with its name ("brother", "dog juniper", "oldest child ciara"), or the
  leading noun phrase of anything else ("project wen22", "build machine tomi5");
* **properties** — slots from a small lexicon (residence, employer, diet, os, shell, editor,
  package manager, test runner, database, drink, answer language, indentation, name, a dose
  of a named drug, car, children count). A property is single-valued: a new value replaces;
* **keys** — the tokens that make a fact distinct: anything with a digit (versions, ids,
  ports, doses), and capitalised words past the first (names, places, products);
* **context** — "at work" / "side projects" / "at home": the same property in another
  context is another slot ("SQLite for side projects" next to "PostgreSQL at work").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sidecar.learn.reconcile.rules import RELATIONS

_TOKEN = re.compile(r"[^\W_][\w+#.'\-]*")

# words that open a subject-less, fact-style statement about the user
_USER_VERBS = frozenset("""
is are am was has have had lives lived works worked uses used prefers preferred likes liked loves loved dislikes
hates wants needs drinks drank eats ate drives drove plays played runs ran speaks spoke can can't cannot doesn't
does did gets got boulders climbs moved switched started joined left sold stopped quit went became keeps codes
writes reads takes owns rents studies teaches supports follows avoids goes enjoys always never usually recently
just now still also no not settled relocated relocating converted migrated finished cut changed
""".split())
_USERISH = frozenset({"team", "we", "i", "family", "household", "user", "i'm", "i've", "i'd", "i'll", "we're", "we've",
                      "we'd", "im", "me", "us"})
# a pronoun subject refers back to something said before: it may be any subject
ANY_SUBJECT = "*"
_PRONOUNS = frozenset({"she", "he", "it", "they", "she's", "he's", "it's", "they're", "shes", "hes", "its"})
_NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
once twice first second third fourth fifth""".split())
# subjects that are things with names (so two of them with different names are two things)
_THING_NOUNS = frozenset({"project", "repo", "service", "server", "machine", "host", "bucket", "cluster", "app",
                          "library", "package", "colleague", "friend", "dog", "cat"})
_PREPOSITIONS = frozenset({"on", "in", "at", "for", "with", "of", "to", "from", "by", "about", "into", "onto", "and",
                           "but", "so", "because", "which", "who", "that"})
_DETERMINERS = frozenset({"my", "our", "the", "a", "an", "his", "her", "their", "this", "that"})
_AUX = frozenset({"is", "are", "was", "were", "has", "have", "had", "uses", "runs", "keeps", "lives", "works", "pins",
                  "deploys", "listens", "needs", "likes", "loves", "supports", "plays", "goes", "takes", "stores",
                  "holds", "gets", "can", "can't", "does", "doesn't", "will", "should", "must", "merges", "enforces"})
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'd", "monday", "tuesday", "wednesday", "thursday", "friday",
                        "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
                        "august", "september", "october", "november", "december", "tl", "dr", "ok", "okay", "no", "the", "a", "an",
                        "my", "it's", "it", "we", "he", "she", "they", "this", "that", "and", "but", "so", "also",
                        "just", "not", "sorry", "update", "quick", "please", "still", "now", "our", "is", "has"})

# property -> words that name it (lower case, whole words; "*" suffix: prefix match)
_PROPERTIES: dict[str, tuple[str, ...]] = {
    "residence": ("lives", "live", "living", "based", "relocating", "relocated", "relocate",
                  "settled", "city", "reside*", "home town", "hometown"),
    "employer": ("works at", "work at", "working at", "employer", "job", "started at", "joined", "employed",
                 "company", "freelance", "chapter"),
    "diet": ("vegan", "vegetarian", "pescatarian", "keto", "paleo", "carnivore", "diet", "omnivore", "meat"),
    "os": ("windows", "macos", "mac", "macbook*", "linux", "ubuntu", "fedora", "debian", "arch", "laptop",
           "os", "imac", "thinkpad", "chromebook"),
    "shell": ("powershell", "zsh", "bash", "fish shell", "shell", "cmd"),
    "editor": ("vs code", "vscode", "vim", "neovim", "emacs", "pycharm", "intellij", "sublime", "editor", "zed",
               "cursor"),
    "package_manager": ("pip", "conda", "uv", "poetry", "pipenv", "npm", "yarn", "pnpm", "bun", "package manager",
                        "homebrew", "brew"),
    "test_runner": ("jest", "vitest", "pytest", "mocha", "unittest", "test runner", "nose", "jasmine"),
    "database": ("postgres", "postgresql", "mysql", "sqlite", "cockroachdb", "mongodb", "mariadb", "database",
                 "dynamodb", "redis", "oracle"),
    "morning_drink": ("espresso", "coffee", "tea", "rooibos", "matcha", "caffeine", "latte", "chai"),
    "answer_language": ("answer me in", "answers in", "reply in", "respond in", "answer in", "switch back to"),
    "indentation": ("tabs", "spaces", "indentation", "indent"),
    "name": ("name is", "my name", "last name", "first name", "call me", "i'm called", "named me", "surname"),
    "car": ("drives", "drive a", "car", "outback", "sedan", "suv", "tesla", "vehicle"),
    "kids": ("kids", "children", "child"),
    "age": ("years old", "year-old", "turned", "turns", "aged", "age"),
    "pet": ("dog", "cat", "puppy", "kitten", "collie", "retriever", "labrador", "terrier", "spaniel", "poodle",
            "shepherd", "beagle", "pet"),
    "job_title": ("engineer", "developer", "lawyer", "doctor", "nurse", "teacher", "designer", "manager",
                  "analyst", "scientist", "consultant", "architect", "law", "firm"),
    "climbing": ("bouldering", "boulder*", "climb*"),
    "running": ("marathon*", "half-marathon", "5k", "10k", "jogging"),
}
# properties whose lexicon words are themselves values (a tool, a diet): "pnpm" vs "npm"
_VALUE_PROPERTIES = ("diet", "os", "shell", "editor", "package_manager", "test_runner", "database", "morning_drink",
                     "indentation", "car", "pet")
# lexicon words that name a property rather than give it a value
_GENERIC = frozenset({"lives", "live", "living", "based", "relocating", "relocated", "relocate", "settled", "city",
                      "home town", "hometown", "works at", "work at", "working at", "employer", "job", "started at",
                      "joined", "employed", "company", "chapter", "diet", "meat", "os", "laptop", "shell", "editor",
                      "package manager", "test runner", "database", "caffeine", "answer me in", "answers in",
                      "reply in", "respond in", "answer in", "switch back to", "indentation", "indent", "name is",
                      "my name", "last name", "first name", "call me", "i'm called", "named me", "surname", "drives",
                      "drive a", "car", "vehicle", "kids", "children", "child", "pet", "years old", "year-old",
                      "turned", "turns", "aged", "age", "law firm"})
_DOSE = re.compile(r"(?i)\b(\d+(?:\.\d+)?)\s?(mg|mcg|µg|ml|units?|iu)\b")
_CONTEXTS = {
    "work": re.compile(r"(?i)\b(?:at work|for work|work (?:laptop|machine|project|update)|office|my job|day job)\b"),
    "side": re.compile(r"(?i)\b(?:side[- ]projects?|hobby|personal projects?|weekend projects?|for fun)\b"),
    "home": re.compile(r"(?i)\b(?:at home|home (?:machine|setup|server|desktop)|mac mini)\b"),
}


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


_PROPERTY_PATTERNS = {name: _pattern(words) for name, words in _PROPERTIES.items()}
# "Is Anna Kowalczyk", "It's Anna Brennan now": a bare first and last name is the user's name
_PROPERTY_PATTERNS["name"] = re.compile(_PROPERTY_PATTERNS["name"].pattern
                                        + r"|(?-i:^(?:Is|I'm|I am|It's|It is)\s+[A-Z][\w'-]+\s+[A-Z][\w'-]+(?:\s*[,.]|\s+now|$))")
_TITLES = r"(?:engineer|developer|lawyer|attorney|doctor|nurse|teacher|designer|manager|analyst|scientist|consultant|architect)"
_PROPERTY_PATTERNS["job_title"] = re.compile(
    r"(?i)\b(?:is an?|am an?|i'm an?|works? as an?|as an?)\s+(?:[\w-]+\s+){0,2}" + _TITLES + r"s?\b"
    r"|\b(?:employment|corporate|criminal|family|tax|immigration|patent) law\b|\blaw firm\b|\bat a [\w ]{0,20}firm\b")
# "moved to Bergen", not "moved my dotfiles to zsh"
_PROPERTY_PATTERNS["residence"] = re.compile(_PROPERTY_PATTERNS["residence"].pattern
                                             + r"|(?i:\b(?:moved|moving)(?: back| over)? to) (?-i:[A-Z])")
_PROPERTY_PATTERNS["age"] = re.compile(_PROPERTY_PATTERNS["age"].pattern
                                       + r"|(?i:\b(?:is|turned|turns) \d{1,3}\b(?!\s*(?:mg|%|gb|km|kg|lbs|cm)))")
_PROPERTY_PATTERNS["employer"] = re.compile(_PROPERTY_PATTERNS["employer"].pattern + r"|(?i:\bon the [\w ]{2,40} team\b)")
# one named drug next to a dose: "sertraline 50 mg", "raised my sertraline to 100 mg"
_DRUG = re.compile(r"(?i)\b([a-z]{4,}(?:ine|ol|am|ide|pril|artan|statin|zole|pam|done|xetine|mab|in))\b")


@dataclass(frozen=True)
class Facets:
    """A fact's subject, the properties it sets, its distinguishing values and its context."""

    subject: str
    properties: frozenset[str]
    keys: frozenset[str]
    contexts: frozenset[str]
    names: frozenset[str] = frozenset()  # the keys that are names or numbers (not lexicon values like "vegan")

    @property
    def named_subject(self) -> bool:
        """The subject is a particular person or thing (a relation, a name, an id), not just a noun."""
        words = self.subject.split()
        return self.subject not in ("user", ANY_SUBJECT) and (
            any(w in self.names or any(c.isdigit() or c in "-_" for c in w) for w in words)
            or words[0].rstrip("s") in RELATIONS or (words[0] in _THING_NOUNS and len(words) > 1))

    def other_subject(self, other: Facets) -> bool:
        """The two statements are about different people or things ("brother" vs the user, Wen22 vs Chen2)."""
        if ANY_SUBJECT in (self.subject, other.subject) or self.subject == other.subject:
            return False
        mine, theirs = set(self.subject.split()), set(other.subject.split())
        if "user" not in (self.subject, other.subject) and (mine <= theirs or theirs <= mine):
            return False  # "lena" and "daughter lena"
        return self.named_subject or other.named_subject

    def same_slot(self, other: Facets) -> bool:
        """Same subject, a shared property, and no conflicting context: a new value would replace."""
        if self.other_subject(other) or not (self.properties & other.properties):
            return False
        return not (self.contexts and other.contexts and not (self.contexts & other.contexts))


@lru_cache(maxsize=4096)
def facets(text: str) -> Facets:
    """The :class:`Facets` of one fact or utterance."""
    names = names_of(text)
    return Facets(subject_of(text), properties_of(text), names | values_of(text), contexts_of(text), names)


def subject_of(text: str) -> str:
    """Who or what ``text`` is about: "user", a relation (with its name) or a leading noun phrase."""
    words = _TOKEN.findall(text.replace("’", "'"))
    if not words:
        return "user"
    lowered = [w.lower().rstrip(".'") for w in words]
    first = lowered[0]
    if first in _PRONOUNS:
        return ANY_SUBJECT
    if first in _USER_VERBS or first in _USERISH:
        return "user"
    start = 1 if first in _DETERMINERS else 0
    if start >= len(words):
        return "user"
    if lowered[start].rstrip("s") in RELATIONS or lowered[start] in RELATIONS:
        subject = [lowered[start].rstrip("s") if lowered[start].rstrip("s") in RELATIONS else lowered[start]]
        follow = start + 1
        while follow < len(words) and words[follow][:1].isupper() and lowered[follow] not in _NOT_NAMES:
            subject.append(lowered[follow])
            follow += 1
        return " ".join(subject)
    if lowered[start] in _USER_VERBS:
        return "user"
    phrase: list[str] = []
    for word, low in zip(words[start:], lowered[start:]):
        if low in _AUX or low in _PREPOSITIONS or (phrase and low.endswith(("ed", "es")) and not word[:1].isupper() and not _has_digit(low)):
            break
        phrase.append(low)
        if len(phrase) == 4:
            break
    if not phrase or phrase[0] in _USERISH:
        return "user"
    # "Oldest child Ciara", "Dog Juniper": a relation word inside the phrase names a person or pet
    return " ".join(phrase)


def values_of(text: str) -> frozenset[str]:
    """The lexicon words ``text`` uses as values ("pnpm", "neovim", "vegan"), without the generic ones."""
    found = set()
    for name in _VALUE_PROPERTIES:
        found |= {m.group(0).lower() for m in _PROPERTY_PATTERNS[name].finditer(text)}
    return frozenset(w for w in found if w not in _GENERIC and not w.startswith(("on the ", "at a ", "moved", "moving")))


def properties_of(text: str) -> frozenset[str]:
    """The lexicon's properties ``text`` sets (plus ``dose:<drug>`` for a named drug with a dose)."""
    found = {name for name, pattern in _PROPERTY_PATTERNS.items() if pattern.search(text)}
    if _DOSE.search(text):
        drugs = [d.lower() for d in _DRUG.findall(text)]
        found |= {f"dose:{d}" for d in drugs}
    return frozenset(found)


def keys_of(text: str) -> frozenset[str]:
    """Distinguishing tokens: names and numbers (:func:`names_of`) and property values (:func:`values_of`)."""
    return names_of(text) | values_of(text)


def names_of(text: str) -> frozenset[str]:
    """Anything with a digit, number words, and capitalised words that do not open a sentence."""
    text = text.replace("’", "'")
    keys = set()
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        low = word.lower().rstrip(".'")
        opens_sentence = not text[:match.start()].rstrip() or text[:match.start()].rstrip()[-1] in ".!?:;\"("
        if _has_digit(low) or low in _NUMBER_WORDS or (not opens_sentence and word[:1].isupper()
                                                        and low not in _NOT_NAMES):
            keys.add(low)
    return frozenset(keys)


def contexts_of(text: str) -> frozenset[str]:
    """Contexts the statement is scoped to ("work", "side", "home")."""
    return frozenset(name for name, pattern in _CONTEXTS.items() if pattern.search(text))


def _has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def property_probes(text: str) -> list[str]:
    """One search query per property ``text`` sets: the property's own words ("windows macos linux …")."""
    probes = []
    for name in sorted(properties_of(text)):
        words = _PROPERTIES.get(name.split(":")[0]) if not name.startswith("dose:") else (name[5:], "mg", "dose")
        if words:
            probes.append(" ".join(w.rstrip("*") for w in words[:12]))
    return probes


def is_number(word: str) -> bool:
    """A number, a version or a number word ("four", "2.5", "v3")."""
    return word in _NUMBER_WORDS or _has_digit(word)
