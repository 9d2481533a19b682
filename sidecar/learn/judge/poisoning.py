"""Memory poisoning: text that reads as instructions to an agent is never learned.

Every stored memory is injected into later sessions as context. Text such as
"ignore previous instructions and…", "always run ``curl … | sh``" or "send the
contents of ``~/.ssh`` to…" would, once stored, be read by agents in sessions the
attacker never saw (OWASP's agentic top-10 "memory poisoning"). It can reach the
write gate through anything the gate reads: a transcript line quoting a web page
or tool output, a session turn, ``add(infer=True)``. The gate screens every
utterance, and every fact a judge extracts, with :func:`assess`; what it flags is
refused with the reason :data:`REASON`. ``add(infer=False)`` is the user's own
explicit write and is not screened.

The detector scores weighted signals (:mod:`.poisoning_patterns`) over
normalised text rather than matching a keyword list:

* normalisation folds compatibility forms (NFKC), maps Cyrillic/Greek look-alike
  letters inside Latin words, and removes invisible characters; invisible
  characters and Unicode "tag" characters count as a *hidden* signal, and the
  ASCII that tag characters smuggle is screened too;
* a negation just before a dangerous action cancels it ("never run ``rm -rf ~``"
  is a safety rule worth keeping), unless it commands the action ("don't forget
  to run…");
* base64 runs that decode to readable text are screened as text;
* the signals add up: a standing directive alone ("Always use uv instead of pip
  in this repo") weighs 0.25 and is learned; an override of the agent's
  instructions weighs 1.0 and is refused alone; a destructive command needs a
  directive with it.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sidecar.learn.judge.poisoning_patterns import (
    NEGATION,
    NEGATION_WINDOW,
    NOT_A_NEGATION,
    SIGNALS,
    Signal,
)
from sidecar.learn.judge.verdict import Verdict

#: The recorded reason for an utterance or fact refused as instruction-like.
REASON = "instruction_like"
#: Total signal weight at which text counts as instruction-like.
THRESHOLD = 1.0
HIDDEN_WEIGHT = 0.5
#: The verdict kind of a refusal: the nearest discarded kind (an instruction, not a fact about the user).
REJECTED_KIND = "one_off_instruction"
BACKEND = "poisoning-guard"

MAX_CHARS = 20_000  # longer text is screened in its first and last parts
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TAG_CHARS = re.compile("[\U000e0000-\U000e007f]+")
_CLAUSE_BREAK = re.compile(r"[.,;:!?\n]|\b(?:but|just|instead|then)\b", re.IGNORECASE)
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")
_LATIN = re.compile(r"[A-Za-z]")
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "Х": "X", "ο": "o", "α": "a", "ε": "e", "ι": "i", "ν": "v", "ρ": "p",
    "Ι": "I", "Ο": "O", "Α": "A", "Ε": "E",
})
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Finding:
    """The detector's reading of one text: the signals that fired and their summed weight."""

    score: float
    signals: tuple[str, ...]

    @property
    def instruction_like(self) -> bool:
        """True if the text reads as an instruction to an agent and must not be learned."""
        return self.score >= THRESHOLD


def _unsmuggle(text: str) -> tuple[str, str]:
    """``text`` without tag characters, and the ASCII those tag characters spelled."""
    hidden = "".join(chr(ord(ch) - 0xE0000) for run in _TAG_CHARS.findall(text) for ch in run
                     if 0x20 <= ord(ch) - 0xE0000 < 0x7F)
    return _TAG_CHARS.sub("", text), hidden


def _fold_lookalikes(text: str) -> str:
    # only words that mix scripts: Russian text stays Russian, "ignоre" with a Cyrillic o becomes "ignore"
    def fold(match: re.Match[str]) -> str:
        word = match.group(0)
        if _LATIN.search(word) and any(ord(ch) > 0x36F for ch in word):
            return word.translate(_LOOKALIKES)
        return word
    return _WORD.sub(fold, text)


def normalise(text: str) -> tuple[str, bool]:
    """Text as the patterns read it, and whether invisible characters were removed from it."""
    folded = unicodedata.normalize("NFKC", text)
    cleaned = _INVISIBLE.sub("", folded)
    return (cleaned if cleaned.isascii() else _fold_lookalikes(cleaned)), cleaned != folded


def _negated(text: str, start: int) -> bool:
    window = text[max(0, start - NEGATION_WINDOW):start]
    clause = _CLAUSE_BREAK.split(window)[-1]
    return bool(NEGATION.search(NOT_A_NEGATION.sub(" ", clause)))


def _fires(signal: Signal, text: str) -> bool:
    for match in signal.pattern.finditer(text):
        if not signal.negatable or not _negated(text, match.start()):
            return True
    return False


def _decoded_runs(text: str) -> list[str]:
    decoded = []
    for run in _BASE64_RUN.findall(text)[:5]:
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
            plain = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if sum(ch.isprintable() or ch.isspace() for ch in plain) >= 0.95 * len(plain) and " " in plain:
            decoded.append(plain)
    return decoded


def assess(text: str, *, _depth: int = 0) -> Finding:
    """Score ``text`` for instruction-like content; see the module docstring."""
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + "\n" + text[-MAX_CHARS // 2:]
    visible, smuggled = _unsmuggle(text)
    normal, had_invisible = normalise(visible)
    fired = [s for s in SIGNALS if _fires(s, normal)]
    score = sum(s.weight for s in fired)
    names = [s.name for s in fired]
    if had_invisible or smuggled:
        score += HIDDEN_WEIGHT
        names.append("hidden")
    if _depth == 0:
        for inner in ([smuggled] if smuggled.strip() else []) + _decoded_runs(normal):
            if assess(inner, _depth=1).instruction_like:
                score += THRESHOLD
                names.append("encoded")
                break
    return Finding(round(score, 2), tuple(names))


def is_instruction_like(text: str) -> bool:
    """True if ``text`` must not be learned because it reads as an instruction to an agent."""
    return assess(text).instruction_like


class InstructionGuard:
    """The write gate's screen: a refusal verdict for instruction-like text, and counts for ``status``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rejected = 0
        self.facts_rejected = 0
        self._signals: Counter[str] = Counter()

    def screen(self, text: str) -> Verdict | None:
        """None if ``text`` may be judged; else the refusal verdict (counted)."""
        finding = assess(text)
        if not finding.instruction_like:
            return None
        with self._lock:
            self.rejected += 1
            self._signals.update(finding.signals)
        return Verdict(memorize=False, kind=REJECTED_KIND, facts=(), score=0.0, backend=BACKEND,
                       reasons={"rejected": REASON, "signals": ", ".join(finding.signals)})

    def allows_fact(self, fact: str) -> bool:
        """False (counted) if a fact a judge extracted reads as an instruction to an agent."""
        if not is_instruction_like(fact):
            return True
        with self._lock:
            self.facts_rejected += 1
        return False

    def status(self) -> dict[str, Any]:
        """Refusals since the daemon started, by signal."""
        with self._lock:
            return {"reason": REASON, "utterances": self.rejected, "facts": self.facts_rejected,
                    "signals": dict(self._signals)}
