"""The shared pieces of the standalone-fact rewrite: who "I" is, and an edit of a parsed sentence.

An edit keeps, drops, renames or moves the parser's tokens and renders the
survivors with their original spacing; it never types a word of its own except
the replacement texts the rewrite hands it (a subject, an agreeing verb form).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy itself is imported on first use, by the loader
    from spacy.tokens import Span, Token


SUBJECT_DEPS = ("nsubj", "nsubjpass")
#: contracted verb forms, written without a space after the word before them ("we're")
CLITICS = frozenset({"'m", "'re", "'ve", "'d", "'ll", "'s", "m", "re", "ve", "d", "ll", "s",
                     "’m", "’re", "’ve", "’d", "’ll", "’s"})
_DANGLING = frozenset({"so", "and", "but", "or", "because", "since"})
_KEEP_PUNCT_AT_END = frozenset({")", "]", "`", '"', "'", "”", "’"})


class Unsure(Exception):
    """The parse has a shape we do not rewrite; the sentence is kept as said."""


@dataclass(frozen=True)
class Voice:
    """Who "I" is: the store's user (subject dropped), a named speaker, or the user seen by the assistant."""

    role: str = "user"
    speaker: str | None = None

    @property
    def me(self) -> frozenset[str]:
        return frozenset({"you"}) if self.role == "assistant" else frozenset({"i"})

    @property
    def us(self) -> frozenset[str]:
        return frozenset() if self.role == "assistant" else frozenset({"we"})

    @property
    def mine(self) -> frozenset[str]:
        return frozenset({"your"}) if self.role == "assistant" else frozenset({"my", "our"})


@dataclass
class TokenEdit:
    """Which tokens of ``span`` survive, their new texts, and the fronted words moved back."""

    span: Span
    keep: set[int]
    text: dict[int, str] = field(default_factory=dict)
    space_before: set[int] = field(default_factory=set)
    moved: list[int] = field(default_factory=list)
    moved_before: int | None = None  # the moved words go before this token, else at the end

    def drop(self, tokens: Iterable[Token]) -> None:
        for token in tokens:
            self.keep.discard(token.i)

    def render(self) -> str:
        """The surviving tokens as text, with the original spacing between neighbours."""
        doc = self.span.doc
        main = self._trimmed([i for i in sorted(self.keep) if i not in self.moved])
        moved = [i for i in self.moved if i in self.keep]
        cut = next((n for n, i in enumerate(main) if self.moved_before is not None and i >= self.moved_before),
                   len(main))
        order = self._trimmed(self._trimmed(main[:cut]) + moved + main[cut:])
        out: list[str] = []
        for n, i in enumerate(order):
            if n:
                prev = order[n - 1]
                if i == prev + 1:
                    gap = bool(doc[prev].whitespace_)
                elif doc[i].is_punct and i > 0 and not doc[i - 1].whitespace_:
                    gap = False  # punctuation stays attached: "… last week, and …"
                else:
                    gap = any(t.whitespace_ for t in doc[min(prev, i):max(prev, i)])
                out.append(" " if gap or i in self.space_before else "")
            out.append(self.text.get(i, doc[i].text))
        return "".join(out).strip()

    def _trimmed(self, order: list[int]) -> list[int]:
        doc = self.span.doc
        while order and (
            (doc[order[-1]].is_punct and doc[order[-1]].text not in _KEEP_PUNCT_AT_END)
            or doc[order[-1]].lower_ in _DANGLING
        ):
            order.pop()
        while order and doc[order[0]].is_punct and doc[order[0]].text not in _KEEP_PUNCT_AT_END:
            order.pop(0)
        return order


def subject_of(head: Token) -> Token | None:
    """The nominal subject of the clause headed by ``head``, when it precedes the verb."""
    for token in [head, *(c for c in head.children if c.dep_ in ("aux", "auxpass"))]:
        # the parser sometimes hangs the subject on an auxiliary: "I'm still getting used to…"
        subject = next((c for c in token.children if c.dep_ in SUBJECT_DEPS and c.i < token.i), None)
        if subject is not None:
            return subject
    return None


def word_before(token: Token) -> Token | None:
    """The nearest non-punctuation token before ``token``."""
    i = token.i - 1
    while i >= 0 and token.doc[i].is_punct:
        i -= 1
    return token.doc[i] if i >= 0 else None
