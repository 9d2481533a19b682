"""Answers the user gave to an agent's multiple-choice questions, as first-person statements.

Claude Code's ``AskUserQuestion`` tool returns ``User has answered your questions:
"<question>"="<answer>", …``. In coding sessions the user types little, and these
answers are often where they state their setup or their wishes ("Do you have SSH
access set up?" = "Yes, with keys"). Each pair becomes one sentence in the user's
own voice, which the write gate then judges like anything else the user said.
"""

from __future__ import annotations

import re

ANSWERED = "User has answered your questions:"
_PAIR = re.compile(r'"(?P<q>[^"\n]{3,300})"="(?P<a>[^"\n]{1,300})"')
_YES = re.compile(r"(?i)^\s*(?:yes|yeah|yep|sure|correct|right)\b[\s,.;:!-]*")
_NO = re.compile(r"(?i)^\s*(?:no|nope|not really)\b[\s,.;:!-]*")
_DO_YOU = re.compile(r"(?i)^\s*(?:do|did) you (?P<verb>have|use|want|prefer|need|run|own|work with|work on|plan to)\s+"
                     r"(?P<rest>[^?]{1,200}?)\s*\??\s*$")
_ARE_YOU = re.compile(r"(?i)^\s*are you\s+(?P<rest>[^?]{1,200}?)\s*\??\s*$")
_WHICH_DO_YOU = re.compile(r"(?i)^\s*(?:which|what) (?P<thing>[^?]{1,80}?) do you (?P<verb>use|prefer|want|run|need)"
                           r"(?P<rest>[^?]{0,80}?)\s*\??\s*$")
_WHAT_IS = re.compile(r"(?i)^\s*(?:what|which|where) (?:is|are) (?P<thing>[^?]{1,120}?)\s*\??\s*$")
_NON_ANSWERS = {"other", "skip", "not sure", "unsure", "i don't know", "don't know", "n/a"}


def answered_statements(output: str) -> list[str]:
    """One first-person statement per question/answer pair of an ``AskUserQuestion`` result."""
    text = output.strip()
    if not text.startswith(ANSWERED):
        return []
    found = []
    for match in _PAIR.finditer(text[:8000]):
        statement = as_statement(match["q"], match["a"])
        if statement:
            found.append(statement)
    return found


def as_statement(question: str, answer: str) -> str | None:
    """The answer restated with the question's words, or None when it says nothing."""
    answer = answer.strip().rstrip(".")
    if not answer or answer.lower() in _NON_ANSWERS:
        return None
    if match := _DO_YOU.match(question):
        verb, rest = match["verb"].lower(), _mine(match["rest"])
        if yes := _YES.match(answer):
            extra = answer[yes.end():].strip()
            return f"I {verb} {rest}" + (f", {extra}" if extra else "")
        if no := _NO.match(answer):
            extra = answer[no.end():].strip()
            return f"I don't {verb} {rest}" + (f", {extra}" if extra else "")
        return f"I {verb} {rest}: {answer}"
    if match := _ARE_YOU.match(question):
        rest = _mine(match["rest"])
        if yes := _YES.match(answer):
            extra = answer[yes.end():].strip()
            return f"I am {rest}" + (f", {extra}" if extra else "")
        if no := _NO.match(answer):
            extra = answer[no.end():].strip()
            return f"I am not {rest}" + (f"; {extra}" if extra else "")
        return None
    if match := _WHICH_DO_YOU.match(question):
        return f"I {match['verb'].lower()} {answer} as my {_mine(match['thing'])}{match['rest'].rstrip()}"
    if match := _WHAT_IS.match(question):
        thing = _mine(match["thing"])
        return f"{thing[:1].upper()}{thing[1:]}: {answer}"
    return None


def _mine(text: str) -> str:
    """The question's "your" in the user's voice."""
    return re.sub(r"(?i)\byour\b", "my", re.sub(r"(?i)\byou\b", "I", text.strip()))
