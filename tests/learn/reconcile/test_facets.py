"""Facets: the subject, property and values that tell facts apart (hand-written examples)."""

from __future__ import annotations

import pytest

from sidecar.learn.reconcile.facets import ANY_SUBJECT, facets, property_probes


@pytest.mark.parametrize("text, subject", [
    ("Lives in Tromsø", "user"),
    ("Team is moving to Leipzig in spring", "user"),
    ("Brother Tomas plays the oboe", "brother tomas"),
    ("Project Halyard9 uses Zig", "project halyard9"),
    ("He's a retired pilot", ANY_SUBJECT),
    ("A decade in Lisbon taught me Portuguese", "decade"),
])
def test_subject(text: str, subject: str) -> None:
    assert facets(text).subject == subject


def test_names_numbers_and_versions_are_keys_but_sentence_openers_are_not() -> None:
    assert facets("Runs Postgres 16.2 on host db-7").keys == {"postgres", "16.2", "db-7"}
    assert facets("Sold the Miata. No car right now.").keys == {"miata"}


def test_two_named_subjects_are_different_things_even_when_everything_else_matches() -> None:
    assert facets("Project Halyard9 uses Zig").other_subject(facets("Project Kestrel2 uses Zig"))
    assert facets("Sister likes opera").other_subject(facets("Likes opera"))
    assert not facets("Likes opera").other_subject(facets("Loves Italian opera"))


@pytest.mark.parametrize("new, old", [
    ("Switched to a ThinkPad running Fedora", "Is on macOS with an iMac"),
    ("It's Marta Lindqvist now", "Is Marta Okafor"),
    ("Takes 75 mg of venlafaxine", "Psychiatrist set my venlafaxine at 37.5 mg"),
    ("Migrated the work app to MySQL", "Uses MariaDB at work"),
])
def test_same_slot(new: str, old: str) -> None:
    assert facets(new).same_slot(facets(old))


def test_another_context_is_another_slot() -> None:
    assert not facets("Uses DuckDB for side projects").same_slot(facets("Uses Oracle at work"))


def test_property_probes_name_the_property() -> None:
    (probe,) = property_probes("Moved my dotfiles to zsh")
    assert "bash" in probe and "powershell" in probe
    assert property_probes("Enjoys birdwatching") == []
