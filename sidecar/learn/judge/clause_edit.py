"""One parsed English sentence -> one standalone third-person fact, by editing its parse.

The edit only drops tokens (fillers, hedges, asides), moves a fronted modifier
behind its clause, renames the first-person subject ("I" dropped for the
store's user, "we" -> "team", a named speaker's "I" -> the name) and makes the
finite verb agree with it. Every other word is the speaker's own, so a rewrite
cannot invent content. A shape we do not recognise raises :class:`Unsure` and
the caller keeps the sentence as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar.learn.judge.clause_select import (
    SPLICE_DEPS,
    clause_heads,
    drop_asides,
    fact_clause,
    is_question,
)
from sidecar.learn.judge.clause_shapes import cleft, possessed_attribute
from sidecar.learn.judge.elliptic import with_speaker
from sidecar.learn.judge.inflection import UnknownVerbForm, VerbLexicon, agree, finite_verb
from sidecar.learn.judge.token_edit import CLITICS, SUBJECT_DEPS, TokenEdit, Unsure, Voice, subject_of

if TYPE_CHECKING:  # spaCy itself is imported on first use, by the loader
    from spacy.tokens import Span, Token

_REASON_MARKS = frozenset({"since", "because", "as", "cause", "given", "now"})
_SUBORDINATORS = frozenset({"when", "whenever", "if", "unless", "once", "after", "before", "while", "until",
                            "wherever", "where"})
_FILLERS = frozenset({
    "honestly", "frankly", "basically", "actually", "so", "well", "oh", "also", "anyway", "anyways",
    "btw", "fyi", "lol", "haha", "hey", "hi", "ok", "okay", "and", "but", "yeah", "yes", "yep", "plus",
    "just", "really", "genuinely", "personally", "literally", "seriously", "tbh", "imo", "ngl", "um",
    "uh", "hmm", "sorry", "oops", "wait", "note", "like", "heads", "up", "quick",
})
_FILLER_PHRASES = frozenset({"by the way", "to be honest", "for the record", "fun fact", "in fact", "of course"})
# hedges between the subject and its verb: "I genuinely prefer" -> "Prefers"
_HEDGES = frozenset({
    "just", "really", "genuinely", "honestly", "actually", "basically", "literally", "personally",
    "definitely", "totally", "truly", "seriously", "kinda", "also", "simply", "absolutely",
})


def rewrite_span(span: Span, voice: Voice, lexicon: VerbLexicon) -> str:
    """The standalone fact for one parsed sentence; raises :class:`Unsure` on unknown shapes."""
    if is_question(span):
        raise Unsure("question")
    edit = cleft(span, voice)
    if edit is None:
        head, region = fact_clause(span, voice)
        edit = TokenEdit(span, set(range(region.start, region.end)))
        heads = clause_heads(head, region, voice)
        for clause_head in heads:
            drop_asides(edit, clause_head, voice)
        reordered = possessed_attribute(head, edit, voice)
        if reordered is not None:
            return _capitalise(reordered)
        dropped_subject = False
        for clause_head in heads:
            dropped_subject |= _rename_subject(edit, clause_head, voice, lexicon)
        _clean_front(edit, heads[0], move=dropped_subject)
        clausal_subject = any(c.dep_ == "csubj" for c in heads[0].children)  # "Taking care of ourselves is…"
        subjectless = subject_of(heads[0]) is None and not clausal_subject  # no dropped "I" to give back
        whole_clause_is_ours = dropped_subject or subjectless
    else:
        whole_clause_is_ours = True
        subjectless = clausal_subject = False
    if voice.speaker:
        _name_the_speaker(edit, voice, lexicon)
    elif whole_clause_is_ours:
        _drop_possessives(edit, voice)
    else:
        _drop_leading_possessive(edit, voice)
    fact = edit.render()
    if len(fact) < 2:
        raise Unsure("nothing left")
    if voice.speaker and clausal_subject and voice.speaker not in fact and with_speaker(fact, voice.speaker) != fact:
        raise Unsure("opens like a dropped I")  # "Melanie: Taking care of ourselves is vital" keeps its name
    if voice.speaker and subjectless:
        fact = with_speaker(fact, voice.speaker)  # "Still working on a studio" -> "Jon is still working on…"
    return _capitalise(fact)


# -- subject and verb ------------------------------------------------------------------


def _rename_subject(edit: TokenEdit, head: Token, voice: Voice, lexicon: VerbLexicon) -> bool:
    """Rename a first-person subject of ``head``; True when the subject was dropped altogether."""
    subject = subject_of(head)
    if subject is None or subject.i not in edit.keep or subject.i in edit.text:
        return False
    word = subject.lower_
    possessive = next((c for c in subject.children if c.dep_ == "poss" and c.lower_ in voice.mine), None)
    if possessive is not None and word not in voice.me | voice.us:  # "my sister lives…"
        if voice.speaker:
            edit.text[possessive.i] = f"{voice.speaker}'s"
        else:
            edit.drop([possessive])
        _drop_hedges(edit, subject, finite_verb(head))
        return False
    if word not in voice.me | voice.us or list(subject.children):
        return False
    plural = dropped = False
    if word in voice.me:
        if voice.speaker:
            edit.text[subject.i] = voice.speaker
        else:
            edit.drop([subject])
            dropped = True
    elif voice.speaker:
        edit.text[subject.i] = f"{voice.speaker} and others"
        plural = True
    else:
        edit.text[subject.i] = "team"
    finite = finite_verb(head)
    if finite.i < subject.i:
        raise Unsure("inverted subject")
    if word in voice.me and voice.role == "user" and finite.lower_ in ("are", "'re", "’re", "were"):
        raise Unsure("coordinated subject")  # "the gf and I are…": the verb agrees with both
    try:
        edit.text.update(agree(finite, lexicon, plural=plural))
    except UnknownVerbForm as exc:
        raise Unsure(str(exc)) from exc
    if finite.lower_ in CLITICS and not dropped:
        edit.space_before.add(finite.i)  # "we're" -> "team is"
    _negation(edit, finite)
    _drop_hedges(edit, subject, finite)
    return dropped


def _drop_hedges(edit: TokenEdit, subject: Token, finite: Token) -> None:
    for token in edit.span.doc[subject.right_edge.i + 1:finite.i]:
        if token.dep_ == "advmod" and token.lower_ in _HEDGES:
            edit.drop([token])


def _negation(edit: TokenEdit, finite: Token) -> None:
    """"don't" -> "does not", "can't" -> "cannot"."""
    doc = edit.span.doc
    if finite.i + 1 >= len(doc):
        return
    neg = doc[finite.i + 1]
    if neg.lower_ in ("n't", "n’t") or (neg.lower_ == "nt" and not finite.whitespace_):
        edit.text[neg.i] = "not"
        if finite.lower_ != "ca":
            edit.space_before.add(neg.i)


# -- the front of the clause -----------------------------------------------------------


def _clean_front(edit: TokenEdit, head: Token, *, move: bool) -> None:
    """Drop fillers before the subject; with the subject gone, fronted modifiers move behind the clause."""
    subject = subject_of(head)
    stop = subject.left_edge.i if subject is not None else head.i
    for child in [c for c in head.lefts if c.i < stop and c.i in edit.keep]:
        words = list(child.subtree)
        if child.dep_ == "mark" and child.lower_ not in _REASON_MARKS:
            raise Unsure("subordinate clause")  # "When I travel": a fragment, kept as said
        if child.dep_ == "advcl" and subject_of(child) is None and not _subordinated(child):
            raise Unsure("fronted participle")  # "Having moved twice, I…": its subject is the one we drop
        if child.is_punct:
            continue  # dropped below only when left dangling at the front
        if _is_filler(child, words):
            edit.drop(words)
        elif move:  # "When I travel, I always pack light" -> "Always packs light when I travel"
            if child.dep_ in SPLICE_DEPS or (child.dep_ == "advcl" and not _subordinated(child)):
                raise Unsure("fronted clause")  # "So much has happened - I went…": not one fact
            edit.moved_before = _end_of_first_clause(edit, head)
            edit.moved += [t.i for t in words if not t.is_punct or t.i != child.right_edge.i]
            if words[0].i == edit.span.start and words[0].tag_ not in ("NNP", "NNPS"):
                edit.text[words[0].i] = words[0].text[:1].lower() + words[0].text[1:]
    for token in edit.span.doc[edit.span.start:stop]:  # punctuation left dangling at the front
        if token.i in edit.keep and token.i not in edit.moved:
            if not token.is_punct:
                break
            edit.keep.discard(token.i)


def _subordinated(clause: Token) -> bool:
    """True for "when/if/after … " clauses: conditions that read the same behind the main clause."""
    return any(c.dep_ == "mark" for c in clause.children) or clause.left_edge.lower_ in _SUBORDINATORS


def _is_filler(child: Token, words: list[Token]) -> bool:
    return (
        child.dep_ in ("cc", "intj", "discourse", "mark")
        or all(t.lower_ in _FILLERS or t.is_punct for t in words)
        or " ".join(t.lower_ for t in words) in _FILLER_PHRASES
        or (child.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in _REASON_MARKS for c in child.children))
    )


def _end_of_first_clause(edit: TokenEdit, head: Token) -> int | None:
    """Where the clause of ``head`` ends, before "and <next clause>"; None when it runs to the end."""
    conj = next((c for c in head.rights if c.dep_ == "conj" and c.i in edit.keep and subject_of(c) is not None), None)
    if conj is None:
        return None
    start = conj.left_edge.i
    while start - 1 > head.i and (edit.span.doc[start - 1].is_punct or edit.span.doc[start - 1].dep_ == "cc"):
        start -= 1
    return start


# -- the speaker elsewhere in the sentence ----------------------------------------------


def _drop_possessives(edit: TokenEdit, voice: Voice) -> None:
    """"no emojis in my commit messages" -> "no emojis in commit messages"."""
    doc = edit.span.doc
    if any(doc[i].lower_ in voice.me and i not in edit.text for i in edit.keep):
        return  # an "I" left as said keeps its "my": "the only one I kept using for my own stuff"
    for i in sorted(edit.keep):
        token = doc[i]
        if token.dep_ == "poss" and token.lower_ in voice.mine and i not in edit.text:
            if i == 0 or doc[i - 1].lower_ != "of":  # "one of my friends" keeps its "my"
                edit.drop([token])


def _drop_leading_possessive(edit: TokenEdit, voice: Voice) -> None:
    """"Our repo enforces…" -> "Repo enforces…", however the rest was parsed."""
    first = next((i for i in sorted(edit.keep) if not edit.span.doc[i].is_punct), None)
    if first is None:
        return
    token = edit.span.doc[first]
    if token.tag_ == "PRP$" and token.lower_ in voice.mine and first not in edit.text:
        edit.drop([token])


def _name_the_speaker(edit: TokenEdit, voice: Voice, lexicon: VerbLexicon) -> None:
    """Every "I", "me", "my" of a named speaker becomes their name: no first person survives."""
    doc = edit.span.doc
    name = voice.speaker
    for i in sorted(edit.keep):
        token = doc[i]
        if i in edit.text:
            continue
        if token.lower_ == "i" and token.dep_ in SUBJECT_DEPS:
            head = token.head.head if token.head.dep_ in ("aux", "auxpass") else token.head
            if getattr(subject_of(head), "i", None) != token.i:
                raise Unsure("subject not where expected")
            _rename_subject(edit, head, voice, lexicon)
        elif token.lower_ == "me":
            edit.text[i] = name
        elif token.lower_ in ("my", "our", "mine"):
            edit.text[i] = f"{name}'s"
        elif token.lower_ == "myself":
            edit.text[i] = "themselves"
    if any(doc[i].lower_ in ("i", "we") and i not in edit.text for i in edit.keep):
        raise Unsure("first person left")


def _capitalise(text: str) -> str:
    first = text.split(" ", 1)[0]
    if text[:1].islower() and not any(ch.isupper() for ch in first[1:]):
        return text[:1].upper() + text[1:]
    return text
