"""Dropped-"I" chat sentences: recognised by their opening verb, and given their speaker back."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.elliptic import ELLIPTIC_SELF, with_speaker


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        ("Been only to Rome once", "Ana has been only to Rome once"),
        ("Still working on a studio", "Ana is still working on a studio"),
        ("Gonna start a dance class", "Ana is gonna start a dance class"),
        ("Finally moved to Lisbon", "Ana finally moved to Lisbon"),
        ("Made a quilt last week", "Ana made a quilt last week"),
        ("Was super nervous before the show", "Ana was super nervous before the show"),
        ("Loves hiking", "Loves hiking"),  # not a dropped-"I" opening: unchanged
        ("Beenie hats are great", "Beenie hats are great"),  # a word that merely starts like a verb
    ],
)
def test_the_speaker_becomes_the_subject(fact: str, expected: str) -> None:
    assert with_speaker(fact, "Ana") == expected


def test_the_judge_pattern_reads_the_opening_only() -> None:
    assert ELLIPTIC_SELF.match("Just finished my first marathon!")
    assert ELLIPTIC_SELF.match("...been there twice")
    assert not ELLIPTIC_SELF.match("My sister has been there twice")
