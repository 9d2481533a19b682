"""Horizons: forward time scopes get a last day; reported changes do not."""

from __future__ import annotations

from datetime import date

import pytest

from sidecar.learn.reconcile.horizon import horizon, strip_horizon

MONDAY = date(2031, 3, 3)


@pytest.mark.parametrize("text, last_day", [
    ("I'm covering the pager this week", date(2031, 3, 9)),
    ("The vet has Pip on 5 mg of meloxicam for the next ten days", date(2031, 3, 13)),
    ("Working from the Porto office for three more weeks", date(2031, 3, 24)),
    ("Staying at my aunt's until Thursday", date(2031, 3, 6)),
    ("Out of office today", MONDAY),
])
def test_forward_horizons(text: str, last_day: date) -> None:
    assert horizon(text, MONDAY) == last_day


@pytest.mark.parametrize("text", [
    "We moved to Gdańsk this week",
    "Started at Zalando last week as a data analyst",
    "Have been vegetarian for six years",
    "Takes 20 mg of citalopram",
])
def test_no_horizon(text: str) -> None:
    assert horizon(text, MONDAY) is None


def test_strip_horizon_keeps_the_change() -> None:
    assert strip_horizon("We moved to Gdańsk last weekend!") == "We moved to Gdańsk!"
