"""Sentence-level cues of the embedded judge that need no model: answers, directives, reports."""

from __future__ import annotations

import re

from sidecar.learn.judge import rules
from sidecar.learn.judge.assessment import SentenceAssessment


def standing_answer(sentence: str, context: str, durable: bool) -> SentenceAssessment | None:
    """"yes, every time" answering an assistant's proposal becomes a standing instruction."""
    if not context.lower().startswith("assistant:") or not rules.AFFIRMATIVE_ANSWER.match(sentence):
        return None
    proposal = context.split(":", 1)[1].strip()
    if not rules.is_question(proposal.splitlines()[-1] if proposal else ""):
        return None
    if not durable:
        return SentenceAssessment(sentence, 0.1, "one_off_instruction", "", ("answer",))
    request = proposal.rstrip("?？ ").split("?")[-1].strip()
    for opener in ("Want me to ", "Do you want me to ", "Should I ", "Shall I ", "Would you like me to "):
        if request.lower().startswith(opener.lower()):
            request = request[len(opener):]
            break
    return SentenceAssessment(sentence, 0.9, "durable_instruction", f"Wants assistant to always {request}", ("answer", "durable"))


def is_directive(sentence: str) -> bool:
    lowered = sentence.lower()
    return (
        " you" in f" {lowered}"
        or bool(rules.IMPERATIVE_START.search(sentence))
        or lowered.lstrip().startswith(("no ", "don't", "never", "please", "always", "from now on", "de ahora", "a partir", "ab jetzt", "以后"))
    )


def observation_fact(sentence: str) -> str:
    """'I checked the repo: X uses Y' -> 'X uses Y'."""
    _, sep, rest = sentence.partition(":")
    return (rest if sep and rest.strip() else sentence).strip()


_ASKED_ABOUT_THEM = re.compile(r"(?i)\b(?:you|your|yours)\b[^?？]*[?？]\s*$")


def answers_a_question_about_them(sentence: str, context: str) -> bool:
    """The previous turn asked the speaker about themselves ("What are your pets' names?") and this
    sentence names something ("Luna and Oliver!"): the answer is a fact about the speaker."""
    asked = context.split(":", 1)[1] if ":" in context else context
    last = [part for part in re.split(r"(?<=[.!?？])\s+", asked.strip()) if part][-1:] or [""]
    return bool(_ASKED_ABOUT_THEM.search(last[0]) and rules.NAMED_THING.search(sentence)
                and not rules.is_question(sentence))
