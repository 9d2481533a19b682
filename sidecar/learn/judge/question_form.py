"""Whether a sentence without a question mark still asks something.

People often drop the question mark ("how do I run the tests", "is it ok to push"), so a
sentence that opens like a question counts as one. But several statements open with the same
words, and a chat is full of them; without a question mark these are not questions:

* a clause that sets a time or place, then the statement: "When I was younger, my family and I
  went on a road trip to Oregon", "What I want is a quiet week" (a wh-word followed by its own
  subject);
* an exclamation: "What a view!", "How cool is this!";
* a statement about any one of something: "Any hobby can have an impact when used right";
* the speaker's own elliptic statement, its "I" left out: "Was super nervous last week…",
  "Would love to see it", "Should be fun", "Will do", "Can't wait for the trip!" (an auxiliary
  followed by a verb or an adverb, where a question would have its subject).
"""

from __future__ import annotations

import re

QUESTION_START = re.compile(
    r"(?i)^\s*(?:what|what's|how|why|when|where|which|who|is|are|can|could|would|should|"
    r"do|does|did|any|will|¿|wie|was|warum|怎么|为什么|什么)\b"
)
# "When I was younger, …", "What my sister wants is …": the wh-word opens a clause with its own subject
_WH_CLAUSE = re.compile(r"(?i)^\s*(?:when|whenever|where|what|which)\s+(?:i|we|they|he|she|my|our|his|her|their)\b")
# "Any hobby can have an impact…", "Any time you need help, …": a statement about any one, not "Any tips?"
_ANY_STATEMENT = re.compile(r"(?i)^\s*any\s+(?:time\b|\w+\s+(?:can|could|will|would|should|must|is|are|has|have)\b)")
_EXCLAMATION = re.compile(r"(?i)^\s*(?:what\s+an?\b|how\s+\w+\b[^?？]*!\s*$)")
# the word after an opening auxiliary that cannot be its subject: the speaker's elliptic statement
_ELLIPTIC_AUXILIARY = re.compile(
    r"(?i)^\s*(?:is|are|was|would|should|will|could|can|did|do|does)\s+"
    r"(?:be|been|love|like|do|have|go|need|want|try|get|make|keep|really|so|super|quite|pretty|totally|"
    r"definitely|probably|just|always|never|also|still|too|very|such|gonna|kinda|sorta)\b"
)
_NEGATED_AUXILIARY = re.compile(
    r"(?i)^\s*(?:can|could|would|should|will|wo|do|does|did|is|are|was)(?:n['’]t|['’]t)\s+(?P<next>[\w']+)")
_SUBJECT = re.compile(r"(?i)^(?:i|you|u|we|they|he|she|it|there|this|that|these|those|the|my|your|our|his|her|"
                      r"their|anyone|anybody|someone|somebody|everyone)$")


def opens_like_question(sentence: str) -> bool:
    """True if ``sentence``, read without its final punctuation, opens the way a question does (see the module)."""
    stripped = sentence.strip()
    if _WH_CLAUSE.match(stripped) or _EXCLAMATION.match(stripped) or _ELLIPTIC_AUXILIARY.match(stripped) \
            or _ANY_STATEMENT.match(stripped):
        return False
    negated = _NEGATED_AUXILIARY.match(stripped)
    if negated:
        return bool(_SUBJECT.match(negated.group("next")))  # "Don't you think so" asks; "Can't wait" does not
    return bool(QUESTION_START.match(stripped))
