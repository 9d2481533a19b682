"""Time horizons: "on call this week", "for the next two weeks", "until Friday" → the date a fact stops being true.

A statement the user scopes forward in time is stored with mem0's ``expiration_date`` (an ISO
date; search skips rows past it, see :mod:`sidecar.store.chroma_rows`) instead of as a durable
fact. Only forward horizons count: "moved to Bergen last weekend" and "started at Klarna this
week" report a change that has happened, so they have no horizon. Past tense next to "this
week" ("started", "moved", "finished") therefore cancels it; an explicit "for the next …" or
"until …" never is.

The date is the last day the fact holds; it expires the day after (``expiration_date`` is
compared with today, strictly).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3, "couple": 2}
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "night": 1, "nights": 1}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_NEXT = re.compile(r"(?i)\b(?:for|over|during)\s+(?:the\s+)?(?:next|coming)\s+(?:(\d+|a|an|one|two|three|four|five|six|"
                   r"seven|eight|nine|ten|couple of|few)\s+)?(days?|weeks?|months?|nights?)\b")
_MORE = re.compile(r"(?i)\bfor\s+(?:another\s+|(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|"
                   r"few)\s+(?:more\s+)?)(days?|weeks?|months?|nights?)\b(?!\s+(?:ago|now))")
_UNTIL = re.compile(r"(?i)\b(?:until|till|til|through)\s+(?:next\s+)?(" + "|".join(_WEEKDAYS)
                    + r"|tomorrow|the weekend|the end of (?:the |this )?(?:week|month))\b")
_THIS = re.compile(r"(?i)\b(?:(?:for\s+)?(?:the\s+rest\s+of\s+)?this\s+(week(?:end)?)|today|tonight|"
                   r"over the weekend|this weekend)\b")
# "been vegan for two months": a duration that has passed
_SINCE = re.compile(r"(?i)\b(?:been|for the (?:past|last)|ago)\b|'ve\b|\bhave\b")
# a completed change or a past event, not a state that will end
_PAST = re.compile(r"(?i)\b(?:moved|started|joined|finished|sold|switched|migrated|bought|got|went|had|did|was|were|"
                   r"quit|left|converted|settled|adopted|unpacked|sent|ran|signed|began|last)\b")


def horizon(text: str, today: date | None = None) -> date | None:
    """The last day ``text`` says it holds, or None for a statement with no forward horizon."""
    today = today or date.today()
    more = None if _SINCE.search(text) else _MORE.search(text)
    if match := _NEXT.search(text) or more:
        count = _NUMBERS.get((match.group(1) or "one").lower())
        count = int(match.group(1)) if count is None else count
        return today + timedelta(days=count * _UNITS[match.group(2).lower()])
    if match := _UNTIL.search(text):
        return _until(match.group(1).lower(), today)
    if (match := _THIS.search(text)) and not _PAST.search(text):
        word = match.group(0).lower()
        if "today" in word or "tonight" in word:
            return today
        return today + timedelta(days=6 - today.weekday())  # through Sunday
    return None


def strip_horizon(text: str) -> str:
    """``text`` without its time phrases ("this week", "last weekend"), for a durable change it reports."""
    cleaned = re.sub(r"(?i)\s*\b(?:this|last|next)\s+(?:week(?:end)?|month|year|sprint|fall|autumn|spring|summer|winter)\b",
                     "", text)
    cleaned = re.sub(r"\s+([,.!?;])", r"\1", cleaned)
    return re.sub(r"\s{2,}", " ", cleaned).strip()


def _until(word: str, today: date) -> date:
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "the weekend":
        return today + timedelta(days=6 - today.weekday())
    if "month" in word:
        return _month_end(today)
    if "week" in word:
        return today + timedelta(days=6 - today.weekday())
    ahead = (_WEEKDAYS.index(word) - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _month_end(today: date) -> date:
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)
