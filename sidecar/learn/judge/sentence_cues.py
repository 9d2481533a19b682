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


_NUMBER = (r"\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
           r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred")
_BARE_CORRECTION = re.compile(
    r"(?i)^\s*(?:sorry|oops|whoops|wait|no|nope|err?|um|actually|correction|i mean|i meant|make that|scratch that)"
    r"[\s,.:!—–-]+(?:i mean[\s,]+|it's[\s,]+|make (?:that|it)[\s,]+)?(?P<value>" + _NUMBER + r")\s*[!.]*\s*$")
_NUMBER_TOKEN = re.compile(r"(?i)\b(?:" + _NUMBER + r")\b")


def number_correction(sentence: str, context: str) -> SentenceAssessment | None:
    """"Sorry, four!" right after the speaker's own "I have three kids." corrects the number they gave:
    the fact is their previous sentence with the new number. Only when that sentence holds exactly one number."""
    match = _BARE_CORRECTION.match(sentence)
    if match is None or not context.lower().startswith("user:"):
        return None
    said = context.split(":", 1)[1].strip()
    previous = [part for part in re.split(r"(?<=[.!?？])\s+", said) if part.strip()][-1:] or [""]
    numbers = _NUMBER_TOKEN.findall(previous[0])
    if len(numbers) != 1 or rules.is_question(previous[0]):
        return None
    fact = _NUMBER_TOKEN.sub(match.group("value"), previous[0], count=1).strip()
    # judged as the corrected sentence, so it is rewritten into fact style like any sentence said whole
    return SentenceAssessment(fact, 0.9, "correction", fact, ("correction", "context"))



_YOU = r"(?:you|your|yours|yourself|you're|you've|you'd|you'll|ya)\b"
# "You'd be a great counselor!", "Wow, Caroline, your kids are lucky": the listener is the subject
_LISTENER_FIRST = re.compile(
    r"(?i)^\W*(?:(?:wow|oh|aw+|yeah|yes|yep|and|so|well|honestly|seriously|man|omg|haha|hey|hi)[\s,!.]+)*"
    r"(?:[A-Z]\w+,\s+)?" + _YOU)
# "Glad you've got people to lean on", "Great that you're prioritizing self-care", "Wishing you the best"
_SAID_TO_LISTENER = re.compile(
    r"(?i)^\W*(?:\w+,\s*)?(?:so |really |i'm |i am |i'm so |i am so )?(?:glad|good on|lucky|wishing|congrats|"
    r"congratulations|respect|hope|hoping|good luck|proud|sorry|(?:good|great|nice|cool|awesome|amazing|lovely|"
    r"so good|sweet) (?:to|that|of)|sounds like|looks like|must have been|must've been)\b[^.!?]*\b" + _YOU)
_SPEAKER_SUBJECT = re.compile(r"(?i)\b(?:i|i'm|i've|i'd|i'll|we|we're|we've|we'd|we'll)\b")
# the speaker's reaction to the listener: "I'm so proud of you", "I'm glad you found it"
_REACTION_TO_LISTENER = re.compile(
    r"(?i)^\W*(?:\w+,\s*)?(?:i'?m|i am|i was|i feel|i really|i totally|i just)\s+(?:\w+\s+){0,2}"
    r"(?:glad|happy|proud|sorry|thrilled|stoked|impressed|in awe|excited|appreciate|love|admire)\b[^.!?]*\b" + _YOU)


def addresses_the_listener(sentence: str) -> bool:
    """In a conversation between named people, a sentence whose subject is "you" is what one says to the
    other person (praise, sympathy, wishes), not a fact the speaker states: "You'd be a great counselor!",
    "Glad you've got people to lean on", "I'm so proud of you". "Been reading the book you recommended"
    is about the speaker."""
    text = sentence.replace("’", "'")
    if _REACTION_TO_LISTENER.search(text):
        return True
    # "Gina, you won't believe it - I got mentored yesterday!": the speaker's own news follows
    return not _SPEAKER_SUBJECT.search(text) and bool(_LISTENER_FIRST.search(text) or _SAID_TO_LISTENER.search(text))
