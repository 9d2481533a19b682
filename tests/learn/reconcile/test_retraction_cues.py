"""Which utterances retract a memory: an act of retracting, unless it is negated."""

from __future__ import annotations

import pytest

from sidecar.learn.reconcile.rules import is_retraction


@pytest.mark.parametrize("said", [
    "I quit my job at Monzo.", "I stopped doing keto.", "Sold the Outback.", "Cancelled Copilot.",
    "Forget the sister thing.", "My cat Biscotti passed away.", "I'm not pescatarian anymore.",
    "You can stop adding unit tests by default.", "Luca and I broke up, please don't bring him up.",
])
def test_retractions(said: str) -> None:
    assert is_retraction(said)


@pytest.mark.parametrize("said", [
    "I won't quit on my dreams.", "I'm gonna keep on going and never quit.", "Don't quit, failures lead to success.",
    "I'll never forget the day my youngest took her first steps.", "I haven't stopped running.",
])
def test_a_negated_act_is_no_retraction(said: str) -> None:
    assert not is_retraction(said)


@pytest.mark.parametrize(("said", "changes"), [
    ("I went fully vegan this year.", True), ("Left IKEA and went freelance.", True),
    ("We even went on another camping trip in the forest.", False), ("Went camping with the kids.", False),
    ("I went to a poetry reading last Friday.", False), ("Went hiking on Sunday.", False),
])
def test_went_changes_a_value_but_an_outing_does_not(said: str, changes: bool) -> None:
    from sidecar.learn.reconcile.rules import gives_replacement

    assert gives_replacement(said) is changes
