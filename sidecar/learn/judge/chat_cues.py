"""What one person says to the other in a named conversation, as opposed to a fact about the speaker.

In a chat between people ("Gina: …", "Jon: …") much of a turn is addressed to the
listener: reactions ("Totally agree, Jon!", "Same here!", ";)"), advice and encouragement
("Believe in yourself", "Keep going and never give up!") and offers of support ("I'm always
here for you"). None of these is a durable fact about anyone, and stored they crowd out the
facts (their names match every question about the two people). The other way round, news
and plans of the speaker's own ("I just got a puppy", "I'm getting ready for a dance comp next
month") are what the other person asks about later: :func:`chat_event` recognises them. The
text given here is what was said, without the "Name:" label.
"""

from __future__ import annotations

import re

from sidecar.learn.judge import rules
from sidecar.learn.judge.elliptic import ELLIPTIC_SELF
from sidecar.learn.judge.sentence_cues import addresses_the_listener

_WORD = re.compile(r"[^\W\d_][\w'’]*")
# words that carry no fact on their own: interjections, agreement, evaluation of what the other said
_REACTION_WORDS = frozenset("""
wow woah whoa oh ah aw aww awww omg oof ouch yikes hmm huh haha hahaha lol lmao hey yay yeah yes yep yup
ya no nope ok okay alright well so and but too also totally completely really truly indeed
agree agreed same here me neither either definitely absolutely exactly for sure of course certainly
true right bet doubt i you it that this know get got see makes make sense sounds sound good great nice
cool awesome amazing fantastic wonderful incredible lovely sweet perfect fair enough idea point one
call plan thinking job work hear to glad happy love like hope what a an the is it's that's thats how
was were be been must must've seems seem looks look feel such
tough hard rough fun exciting inspiring sad scary crazy wild interesting beautiful cute impressive neat brave
special meaningful touching sweet hilarious funny awful terrible unfortunate congrats congratulations
sorry much peaceful calming relaxing gorgeous stunning lucky proud excited stoked
""".split())
_ADVICE_START = re.compile(
    r"(?i)^\W*(?:(?:and|so|but|just|now|plus|remember|hey|also)[\s,]+)*(?:[A-Z]\w+,\s+)?"
    r"(?:don'?t|do not|keep|stay|believe|focus|push|chase|trust|hang in|go for|take care|enjoy|follow your|"
    r"have faith|be proud|be patient|be kind|be gentle|make sure|never give|never stop|never forget|"
    r"remember (?:to|that you)|treat yourself|look after|give yourself|don't forget|good luck)\b")
_SUPPORT = re.compile(
    r"(?i)\b(?:(?:here|around|there) (?:for|to (?:help|support|cheer|listen to)) (?:you|ya)|here to help|got your back|"
    r"cheer(?:ing)? you on|root(?:ing)? for you|in your corner|by your side)\b")


def is_reaction(said: str) -> bool:
    """Only reaction words and names: "Totally agree, Jon!", "Yeah, me too!", "Woah", ";)"."""
    words = _WORD.findall(said)
    if len(words) > 8:
        return False
    content = [w for i, w in enumerate(words)
               if w.lower().replace("’", "'") not in _REACTION_WORDS and not (i > 0 and w[:1].isupper())]
    return not content


def said_to_listener(said: str) -> str | None:
    """The cue when ``said`` (one sentence of a named turn, without its label) is speech to the other
    person rather than a fact: "addressed", "reaction", "advice" or "support"; else None."""
    if addresses_the_listener(said):
        return "addressed"
    if is_reaction(said):
        return "reaction"
    if _SUPPORT.search(said):
        return "support"
    if _ADVICE_START.match(said) and not rules.speaks_of_self(said):
        return "advice"
    return None


# A plan of the speaker's, with its time or named as one ("I'm getting ready for a dance comp next month",
# "I'm planning a trip to the East Coast"): between people it is asked about later, like a past event.
FUTURE_TIME = re.compile(
    r"(?i)\b(?:next (?:week|weekend|month|year|summer|winter|spring|fall|autumn|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)|later this (?:week|month|year)|"
    r"(?:this|the) coming (?:week|weekend|month))\b")
PLANNING = re.compile(r"(?i)\b(?:planning (?:a|an|to|on|my|our)|getting ready for|preparing for|gearing up for|"
                      r"(?:am|are|'m|'re) going (?:to (?!be\b)\w+|\w+ing\b))")
# "I'm taking some time off this weekend", "I'll come over tomorrow": the speaker's own plan for the coming days
NEAR_PLAN = re.compile(r"(?i)\b(?:i|we)(?:(?:'m|’m| am|'re|’re| are)\s+\w+ing|(?:'ll|’ll| will)\s+(?!not\b|never\b)\w+)\b"
                       r"[^.!?]{0,60}?\b(?:this weekend|tomorrow|tonight|this (?:evening|afternoon))\b")
# "I just got a new puppy", "my wife and I just left for Europe": news of the speaker's, as dated as "yesterday"
JUST_DONE = re.compile(r"(?i)\bjust (?:" + "|".join(rules.PAST_VERBS) + r")\b")


def _names_a_plan(said: str) -> bool:
    return bool(FUTURE_TIME.search(said) or PLANNING.search(said) or NEAR_PLAN.search(said))


def is_planned_event(sentence: str) -> bool:
    """The speaker states a plan of their own: at a stated future time, or named as a plan."""
    return _names_a_plan(sentence) and rules.speaks_of_self(sentence) and not rules.is_question(sentence)


def chat_event(said: str) -> str | None:
    """``"recent_event"`` for news the speaker just had, ``"planned_event"`` for a plan of theirs,
    ``"past_event"`` for a dated act said without its "I" ("Had an audition yesterday"), else None."""
    if rules.is_question(said):
        return None
    if ELLIPTIC_SELF.match(said) and rules.PAST_TIME.search(said) and rules.PAST_ACTIVITY.search(said):
        return "past_event"
    if not rules.speaks_of_self(said):
        return None
    if JUST_DONE.search(said):
        return "recent_event"
    return "planned_event" if _names_a_plan(said) else None  # self and no question: checked above


EVENT_CUES = ("past_event", "recent_event", "planned_event")
EVENT_OF_RECORD = 0.6  # the judge's least probability for one: it passes unless a later cap applies
_NOT_AN_EVENT_OF_RECORD = frozenset({"question", "imperative", "hypothetical", "sarcasm", "one_off", "pleasantry"})


def is_event_of_record(cues: tuple[str, ...] | list[str]) -> bool:
    """In a named chat, an event of the speaker's own (dated, just had, or planned) is kept whatever the
    classifier's mood: "We even had a picnic last week!" is what "When did Caroline have a picnic?" asks.
    Asked, told as a task, imagined, sarcastic or a pleasantry, it is not an event of record."""
    return any(cue in EVENT_CUES for cue in cues) and not _NOT_AN_EVENT_OF_RECORD.intersection(cues)


# Between people (a named chat), "I want to get stronger" is the speaker's goal, not a task for an agent.
OWN_GOAL = re.compile(r"(?i)^\s*i want to\b")
