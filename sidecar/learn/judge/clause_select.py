"""Which clause of a parsed sentence carries the fact, and which attached clauses are asides.

"I'm allergic to kiwis, so fruit salads are risky for me": the fact is the
first clause, the rest a consequence. "I think my sister lives in Toronto": the
reported clause. "…, so skip the meat options", "…, in case the steps differ",
"…, even screenshots of it make my eyes water": asides, dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar.learn.judge.inflection import finite_verb
from sidecar.learn.judge.token_edit import SUBJECT_DEPS, TokenEdit, Voice, subject_of, word_before

if TYPE_CHECKING:  # spaCy itself is imported on first use, by the loader
    from spacy.tokens import Span, Token

CLAUSE_DEPS = ("conj", "advcl", "parataxis", "ccomp", "dep")
SPLICE_DEPS = ("conj", "parataxis", "ccomp", "dep")
# words that open a consequence, a reason or an aside after the fact: "…, so skip the meat"
ASIDE_OPENERS = frozenset({"so", "because", "since", "cause", "therefore", "hence", "which", "otherwise"})
# "I think my sister lives in Toronto": the reported clause carries the fact
_REPORTING = frozenset({"think", "guess", "believe", "suppose", "reckon", "feel", "figure", "bet"})
_SURE = frozenset({"sure", "certain", "positive", "convinced"})


def is_question(span: Span) -> bool:
    """A question by punctuation or by inversion ("Do I…", "Can we…")."""
    if any(t.text in ("?", "？") for t in span) or span.text.rstrip().endswith(("?", "？")):
        return True
    root = span.root
    subject = subject_of(root) or next((c for c in root.children if c.dep_ in SUBJECT_DEPS), None)
    finite = finite_verb(root)
    return bool(subject is not None and finite.i < subject.i and finite.tag_ in ("MD", "VBZ", "VBP", "VBD"))


def fact_clause(span: Span, voice: Voice) -> tuple[Token, Span]:
    """The clause head that carries the fact and the tokens it may keep.

    spaCy often heads a comma splice by its last clause ("I'm allergic to kiwis,
    so fruit salads are risky": the root is "are"), so a clause before an
    aside root is taken alone.
    """
    root = span.root
    head, region = root, span
    for child in root.lefts:
        if child.dep_ in CLAUSE_DEPS and subject_of(child) is not None and is_aside(root, voice, skip=child):
            head, region = child, span.doc[child.left_edge.i:child.right_edge.i + 1]
            break
    return _reported_clause(head, region, voice)


def _reported_clause(head: Token, region: Span, voice: Voice) -> tuple[Token, Span]:
    """"I think / I'm pretty sure <clause>" -> <clause>, for the speaker's own hedges."""
    subject = subject_of(head)
    if voice.role != "user" or subject is None or subject.lower_ != "i":
        return head, region
    holder: Token | None = head
    if head.lemma_ == "be":
        holder = next((c for c in head.children if c.dep_ == "acomp" and c.lower_ in _SURE), None)
    elif head.lemma_ not in _REPORTING:
        holder = None
    if holder is None or any(c.dep_ == "neg" for c in (*head.children, *holder.children)):
        return head, region  # "I don't think we need X" does not say "we need X"
    reported = next((c for c in holder.children if c.dep_ == "ccomp" and c.i > holder.i and subject_of(c)), None)
    if reported is None or subject_of(reported).lower_ == "you":  # "I'm sure you're wrong" is no fact
        return head, region
    return reported, head.doc[reported.left_edge.i:min(reported.right_edge.i + 1, region.end)]


def clause_heads(head: Token, region: Span, voice: Voice) -> list[Token]:
    """``head``, its coordinated clauses, and first-person clauses spliced before it."""
    heads = [head]
    for token in region:
        if token.dep_ == "conj" and token.head in heads and token.pos_ in ("VERB", "AUX"):
            heads.append(token)
    if head.dep_ == "ROOT":
        heads += [c for c in head.lefts if c.dep_ in SPLICE_DEPS and first_person(c, voice)]
    return sorted(heads, key=lambda t: t.i)


def first_person(head: Token, voice: Voice) -> bool:
    """True when the subject of ``head`` is the speaker: "I", "we", "my sister", "our repo"."""
    subject = subject_of(head)
    if subject is None:
        return False
    return subject.lower_ in voice.me | voice.us or any(
        c.dep_ == "poss" and c.lower_ in voice.mine for c in subject.children
    )


def is_aside(head: Token, voice: Voice, skip: Token | None = None) -> bool:
    """A consequence, reason, request or reaction attached to the fact ("…, so skip the meat")."""
    # the root's own clause starts after the clauses spliced before it ("…, since we spoke - I went…")
    fronted = [c for c in head.lefts if c.dep_ in CLAUSE_DEPS] if skip is not None else []
    skipped = {t.i for c in fronted for t in c.subtree}
    words = [t for t in head.subtree if t.i not in skipped and not t.is_punct]
    if not words:
        return False
    first = words[0]
    before = word_before(first)
    if before is not None and before.lower_ in ASIDE_OPENERS and before.dep_ in ("cc", "mark", "advmod", "dep"):
        return True  # "…, so anything you suggest has to be sesame-free": "so" hangs on the fact's verb
    if first.lower_ in ASIDE_OPENERS or (first.lower_ == "in" and len(words) > 1 and words[1].lower_ == "case"):
        return True
    if any(t.lower_ == "please" for t in words):
        return True
    subject = subject_of(head) or next((c for c in head.children if c.dep_ in SUBJECT_DEPS), None)
    main = head.dep_ in ("ROOT", "conj", "parataxis", "dep")
    if subject is None:  # an imperative: "…, so skip the meat options"
        return head.tag_ == "VB" and main and not _coordinated(head)
    if subject.lower_ == "you" and voice.role != "assistant" and main:  # "…, so can you…", not "help you grow"
        return True
    if first_person(head, voice) or _coordinated(head) or not main:
        return False
    # someone else's clause spliced on, about the speaker: "…, even screenshots make my eyes water"
    return any(t.lower_ in ("me", "my", "myself") for t in words)


def _coordinated(head: Token) -> bool:
    """True for a clause joined to the one before by "and", "but", "or"."""
    before = word_before(head.left_edge)
    return head.dep_ == "conj" and before is not None and before.dep_ == "cc" and before.lower_ in ("and", "but", "or")


def drop_asides(edit: TokenEdit, head: Token, voice: Voice) -> None:
    """Drop the asides attached after ``head``, with the comma or "so" that led into them."""
    for child in list(head.rights):
        aside = (child.dep_ in CLAUSE_DEPS and is_aside(child, voice)) or (
            child.dep_ == "prep" and child.lower_ == "in" and any(c.lower_ == "case" for c in child.children)
        )
        if not aside or child.i not in edit.keep:
            continue
        edit.drop(child.subtree)
        before = child.left_edge.i - 1
        doc = edit.span.doc
        while before > head.i and (
            doc[before].is_punct or doc[before].dep_ == "cc" or doc[before].lower_ in ASIDE_OPENERS
        ):
            edit.keep.discard(before)
            before -= 1
