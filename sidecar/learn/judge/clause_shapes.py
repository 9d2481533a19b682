"""Two sentence shapes read in their own way: the cleft and the possessed attribute.

"It's my nephew who's 5" states that the nephew is 5; "Portuguese is my first
language" and "Priyanka is my manager" are stored subject-first in the fact
style: "First language is Portuguese", "Manager is Priyanka".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar.learn.judge.inflection import finite_verb
from sidecar.learn.judge.token_edit import CLITICS, TokenEdit, Voice, subject_of

if TYPE_CHECKING:  # spaCy itself is imported on first use, by the loader
    from spacy.tokens import Span, Token

_PRONOUN_TAGS = frozenset({"PRP", "DT", "WP", "EX"})


def cleft(span: Span, voice: Voice) -> TokenEdit | None:
    """"It's my nephew who's 5" -> "Nephew is 5"; None for any other shape."""
    root = span.root
    subject = subject_of(root)
    if root.lemma_ != "be" or subject is None or subject.lower_ != "it":
        return None
    attr = next((c for c in root.rights if c.dep_ == "attr"), None)
    possessive = next((c for c in attr.children if c.dep_ == "poss" and c.lower_ in voice.mine), None) if attr else None
    if attr is None or possessive is None or possessive.i != attr.left_edge.i:
        return None
    clause = next((c for c in [*attr.rights, *root.rights] if c.dep_ in ("relcl", "ccomp") and c.i > attr.i
                   and getattr(subject_of(c), "lower_", "") in ("who", "that")), None)
    if clause is None:
        return None
    finite = finite_verb(clause)
    edit = TokenEdit(span, set(range(attr.left_edge.i, max(clause.right_edge.i, attr.right_edge.i) + 1)))
    edit.drop([subject_of(clause)])
    if voice.speaker:
        edit.text[possessive.i] = f"{voice.speaker}'s"
    else:
        edit.drop([possessive])
    if finite.lower_ in ("'s", "’s"):
        after = span.doc[finite.i + 1] if finite.i + 1 < len(span.doc) else None
        edit.text[finite.i] = "has" if after is not None and after.tag_ == "VBN" else "is"
        edit.space_before.add(finite.i)
    elif finite.lower_ in CLITICS:
        return None
    return edit


def possessed_attribute(root: Token, edit: TokenEdit, voice: Voice) -> str | None:
    """"Priyanka is my manager" -> "Manager is Priyanka" for the kept clause of ``root``; None for other shapes."""
    subject = subject_of(root)
    if root.lemma_ != "be" or root.lower_ not in ("is", "'s", "’s", "was") or subject is None:
        return None
    attr = next((c for c in root.rights if c.dep_ == "attr"), None)
    others = [c for c in root.children if c.i in edit.keep and c not in (subject, attr) and not c.is_punct]
    if attr is None or others or subject.tag_ in _PRONOUN_TAGS or subject.right_edge.i + 1 != root.i:
        return None
    doc = edit.span.doc
    possessive = doc[attr.left_edge.i]
    trailing = [doc[i] for i in edit.keep if i > attr.right_edge.i]
    if possessive.dep_ != "poss" or possessive.lower_ not in voice.mine or not all(t.is_punct for t in trailing):
        return None
    if subject.left_edge.i != min(edit.keep) or attr.right_edge.i - attr.left_edge.i > 8:
        return None
    owner = f"{voice.speaker}'s " if voice.speaker else ""
    named = _text(doc[subject.left_edge.i:subject.right_edge.i + 1])
    if subject.left_edge.tag_ in ("NN", "NNS"):  # "Dance is my go-to" -> "Go-to is dance"
        named = named[:1].lower() + named[1:]
    verb = "was" if root.lower_ == "was" else "is"
    return f"{owner}{_text(doc[possessive.i + 1:attr.right_edge.i + 1])} {verb} {named}"


def _text(tokens: Span) -> str:
    return "".join(t.text_with_ws for t in tokens).strip()
