"""English verb agreement for standalone facts: "I prefer" -> "prefers", "we're" -> "is".

Only the finite verb of a clause is ever changed, and only from a form the
parser tagged (VBP/VB present, VBD past, MD modal, contractions) whose base
form the pipeline's own lemmatizer tables list as an English verb: "wanna" is
never turned into "wannas". Anything else raises :class:`UnknownVerbForm`, and
the caller keeps the sentence as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # spaCy itself is imported on first use, by the loader
    from spacy.tokens import Token


_VOWELS = frozenset("aeiou")
_IRREGULAR_3SG = {"be": "is", "have": "has", "do": "does", "go": "goes"}
_MODALS = {"'d": "would", "'ll": "will", "ll": "will", "ca": "can", "wo": "will", "sha": "shall"}
_BE_PRESENT = frozenset({"am", "'m", "m", "are", "'re", "re"})
_HAVE_PRESENT = frozenset({"have", "'ve", "ve"})


class UnknownVerbForm(ValueError):
    """The finite verb has a shape we do not conjugate; the sentence is kept unchanged."""


@dataclass(frozen=True)
class VerbLexicon:
    """English verb base forms and irregular inflected forms (form -> base forms)."""

    bases: frozenset[str]
    irregular: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_pipeline(cls, nlp: Any) -> VerbLexicon:
        """The verb tables of a spaCy English pipeline's rule lemmatizer (WordNet-derived)."""
        lookups = nlp.get_pipe("lemmatizer").lookups
        bases = frozenset(lookups.get_table("lemma_index")["verb"])
        irregular = {form: tuple(lemmas) for form, lemmas in lookups.get_table("lemma_exc")["verb"].items()}
        if not bases:
            raise ValueError("the pipeline's lemmatizer has no verb index")
        return cls(bases, irregular)

    def is_base(self, word: str) -> bool:
        """True for a verb's base form ("prefer", "retake"), false for "retook" or "wanna"."""
        return word in self.bases and word not in self.irregular


def third_person(base: str) -> str:
    """Present tense, third person singular of a base form ("go" -> "goes", "carry" -> "carries")."""
    if len(base) < 2 or not base.isalpha() or not base.islower():
        raise UnknownVerbForm(base)
    if base in _IRREGULAR_3SG:
        return _IRREGULAR_3SG[base]
    if base.endswith(("s", "sh", "ch", "x", "z")):
        return base + "es"
    if base.endswith("o") and base[-2] not in _VOWELS:
        return base + "es"
    if base.endswith("y") and base[-2] not in _VOWELS:
        return base[:-1] + "ies"
    return base + "s"


def finite_verb(head: Token) -> Token:
    """The token that carries tense and agreement in the clause headed by ``head``: its first auxiliary."""
    auxiliaries = [c for c in head.children if c.dep_ in ("aux", "auxpass") and c.i < head.i and c.tag_ != "TO"]
    # "I'm still getting used to…": the parser may hang "'m" on "getting" rather than on "used"
    auxiliaries += [g for c in auxiliaries for g in c.children if g.dep_ in ("aux", "auxpass") and g.tag_ != "TO"]
    return min(auxiliaries, key=lambda t: t.i) if auxiliaries else head


def agree(finite: Token, lexicon: VerbLexicon, *, plural: bool = False) -> dict[int, str]:
    """Replacement texts (token index -> text) making ``finite`` agree with a 3rd-person subject.

    Singular ("Team", the dropped user subject) or plural ("Caroline and others").
    A hyphenated verb ("squash-merge") is inflected on its last part.
    """
    lower = finite.lower_
    tag = finite.tag_
    if tag == "MD":
        if lower in ("'d", "d") and _next_verb(finite) == "VBN":
            return {finite.i: "had"}  # "I'd been wanting to try yoga": had, not "would been"
        return {finite.i: _MODALS.get(lower, lower)}
    if lower in _BE_PRESENT:
        return {finite.i: "are" if plural else "is"}
    if lower in ("was", "were"):
        return {finite.i: "were" if plural else "was"}
    if lower in ("'d", "d") and tag == "VBD":
        return {finite.i: "had"}
    if lower in _HAVE_PRESENT:
        return {finite.i: "have" if plural else "has"}
    if tag == "VBD":
        if not finite.text.isalpha():
            raise UnknownVerbForm(finite.text)
        return {}
    if tag not in ("VBP", "VB"):
        raise UnknownVerbForm(finite.text)
    if lower in lexicon.irregular and lower not in lexicon.bases:
        return {}  # a past form tagged as present ("I retook the test"): already agrees with anyone
    last = _hyphen_tail(finite)
    if not lexicon.is_base(last.lower_) or finite.lemma_.lower() != lower:
        raise UnknownVerbForm(finite.text)
    return {} if plural else {last.i: third_person(last.lower_)}


def _next_verb(token: Token) -> str:
    """The tag of the first word after ``token`` that is not an adverb or a negation."""
    for following in token.doc[token.i + 1:]:
        if following.tag_ not in ("RB", "RBR", "RBS") and following.dep_ != "neg":
            return following.tag_
    return ""


def _hyphen_tail(token: Token) -> Token:
    """The last word of a hyphenated compound starting at ``token`` ("squash" in "squash-merge")."""
    doc = token.doc
    current = token
    while (
        current.i + 2 < len(doc)
        and not current.whitespace_
        and doc[current.i + 1].text == "-"
        and not doc[current.i + 1].whitespace_
        and doc[current.i + 2].is_alpha
    ):
        current = doc[current.i + 2]
    return current
