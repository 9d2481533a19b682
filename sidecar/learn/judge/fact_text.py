"""Text-level preparation of a sentence before it is parsed into a standalone fact.

Trimming, the speaker label ("Caroline: …"), a check that the text is English
(other languages are stored as said), discourse openers ("lol", "Honestly,")
and inline code, which the parser must read as one opaque word.
"""

from __future__ import annotations

import re

_SPEAKER_LABEL = re.compile(r"^(?P<name>[A-Z][A-Za-z'’.-]{1,30}(?: [A-Z][A-Za-z'’.-]{1,30})?)\s*:\s+(?P<rest>\S.*)$", re.S)
# "Update: …", "Heads up: …" are not speakers
_NOT_NAMES = frozenset({
    "update", "correction", "note", "fyi", "ps", "edit", "intro", "context", "background", "wait", "sorry",
    "oops", "news", "tldr", "reminder", "todo", "warning", "important", "answer", "question", "example",
    "summary", "hint", "tip", "caveat", "disclaimer", "heads up", "quick note", "nb", "btw", "also", "user",
    "assistant", "human", "ai", "system", "me", "re", "fwiw", "result", "output", "error", "status", "goal",
    "problem", "issue", "reason", "source", "info", "rule", "policy", "fact", "fun fact", "bonus", "p.s.",
})
# frequent function words: English ones, and those of the languages users most often mix in
_ENGLISH_WORDS = frozenset({
    "the", "i", "i'm", "i've", "i'd", "i'll", "my", "we", "we're", "our", "is", "are", "am", "to", "of",
    "and", "for", "with", "it", "it's", "that", "this", "be", "have", "has", "not", "don't", "at", "from",
    "were", "you", "your", "he", "she", "they", "his", "her", "their", "by", "or", "been", "can't", "can",
    "will", "would", "do", "does", "did", "an", "a", "in", "on", "than", "rather", "all", "just", "so",
    "but", "if", "when", "what", "about", "there", "no", "cannot", "always", "never", "every", "any",
})
_FOREIGN_WORDS = frozenset({
    "der", "das", "und", "ich", "nicht", "ist", "mit", "ein", "eine", "auf", "für", "zu", "den", "dem",
    "bin", "wir", "mein", "meine", "sind", "auch", "el", "los", "las", "y", "que", "de", "en", "es", "un",
    "una", "por", "para", "con", "mi", "yo", "muy", "del", "le", "les", "et", "je", "est", "pas", "une",
    "du", "des", "il", "nous", "mon", "ma", "che", "di", "sono", "non", "mio", "não", "eu", "em", "um",
    "uma", "het", "een", "niet", "ik", "van", "zijn", "al", "se", "lo", "como", "pero", "aber", "oder",
})
# discourse words that only open a sentence: "lol my cat…", "Honestly, I…"
_OPENERS = frozenset({
    "lol", "haha", "honestly", "frankly", "oh", "anyway", "anyways", "btw", "fyi", "ok", "okay", "yeah",
    "yep", "hey", "um", "uh", "hmm", "tbh", "imo", "ngl", "ps",
})
# these open a sentence as discourse only before a comma or a pronoun: "So, I…" but "So much has…"
_WEAK_OPENERS = frozenset({"so", "well", "also", "plus", "and", "but", "yes", "hi", "basically", "actually", "please"})
_PRONOUNS = frozenset({"i", "i'm", "i've", "i'd", "i'll", "we", "we're", "we've", "my", "our", "you", "your"})
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_TRIM_END = " .!;:…,"



def trim(sentence: str) -> str:
    """The sentence as it is stored when not rewritten: outer spaces, emphasis and final stops removed."""
    return sentence.strip().strip("*_ \t\n").rstrip(_TRIM_END).strip()


def looks_english(text: str) -> bool:
    """True for text in Latin script with more English function words than foreign ones."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or sum(ord(ch) > 0x24F for ch in letters) > 0.3 * len(letters):
        return False
    words = [w.replace("’", "'") for w in _WORD.findall(text.lower().replace("’", "'"))]
    english = sum(w in _ENGLISH_WORDS for w in words)
    return english >= 1 and english > sum(w in _FOREIGN_WORDS for w in words)


def split_speaker(text: str) -> tuple[str | None, str]:
    """("Caroline", "I go to yoga") from "Caroline: I go to yoga"; (None, text) without a name label."""
    match = _SPEAKER_LABEL.match(text.strip())
    if match is None or match.group("name").lower() in _NOT_NAMES:
        return None, text
    return match.group("name"), match.group("rest")


def drop_openers(text: str) -> str:
    """"Honestly, I prefer…" -> "I prefer…"; "So much has happened" keeps its "So"."""
    words = text.split(" ")
    while len(words) > 2:
        word = words[0].lower()
        bare = word.rstrip(",.!:;")
        weak = bare in _WEAK_OPENERS and (word != bare or words[1].lower().replace("’", "'") in _PRONOUNS)
        if bare not in _OPENERS and not weak:
            break
        words.pop(0)
    return " ".join(words)


def mask_code(text: str) -> tuple[str, dict[str, str]]:
    """Inline code becomes one opaque word for the parser: `fix(api): x` is not a clause."""
    spans: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"Codespan{len(spans)}"
        spans[key] = match.group(0)
        return key

    return _CODE_SPAN.sub(placeholder, text), spans
