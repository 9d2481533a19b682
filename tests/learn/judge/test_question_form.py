"""A sentence without a question mark: a question only when it opens the way a question does."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.rules import is_question


@pytest.mark.parametrize("sentence", [
    "how do I run the tests",
    "is it ok to push to main",
    "can you fix the failing build",
    "what is the default port",
    "When do we ship the release",
    "Don't you think so",
    "Did Sam call back",
    "Any ideas on how to fix the flaky test",
    "Paris?!",
])
def test_questions_with_or_without_their_mark(sentence: str) -> None:
    assert is_question(sentence)


@pytest.mark.parametrize("sentence", [
    "When I was younger, my family and I went on a road trip to Oregon.",  # a clause setting the time
    "What my sister wants is a quiet week.",
    "What a view!",  # exclamations
    "How cool is this!",
    "Was super nervous last week when I shared my book with my writers group.",  # "I" left out
    "Should be fun!",
    "Will do.",
    "Can't wait for the trip!",
    "Don't use tabs in this repo.",
    "Any hobby can have an impact when used right.",  # about any one of something
    "Any time you need help, reach out.",
])
def test_statements_that_open_with_a_question_word(sentence: str) -> None:
    assert not is_question(sentence)
