"""Ids become file names injectively and never leave their folder."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar_shared.id_paths import MAX_PLAIN, legacy_path_name, path_name

# Pairs the old naming gave one folder (see issue 14): each must get two names.
COLLIDING = [
    ("alice", "alice."), ("alice", ".alice"), ("alice", "_alice_"), ("a_b", "a/b"), ("a_b", "a b"),
    ("x", "../../x"), ("x", "./x"), ("Alice", "alice"), ("ALICE", "Alice"),
    (unicodedata.normalize("NFC", "josé"), unicodedata.normalize("NFD", "josé")), ("user", ""), ("user", ".."),
]


def is_safe_component(name: str) -> bool:
    return (bool(name) and "/" not in name and "\\" not in name and "\0" not in name
            and not name.startswith(".") and len(name.encode()) <= 255)


@pytest.mark.parametrize(("first", "second"), COLLIDING)
def test_ids_the_old_naming_folded_together_get_distinct_names(first: str, second: str) -> None:
    assert legacy_path_name(first) == legacy_path_name(second) or first.casefold() == second.casefold() \
        or unicodedata.normalize("NFC", first) == unicodedata.normalize("NFC", second)
    assert path_name(first).casefold() != path_name(second).casefold()


def test_plain_ids_keep_their_name_and_others_get_a_slug_and_a_hash() -> None:
    assert path_name("alice") == "alice" and path_name("bob.smith@example.com") == "bob.smith@example.com"
    assert path_name("Alice").startswith("Alice~") and path_name("../../x").startswith("_.._x~")
    assert path_name("Alice") == path_name("Alice")  # stable across calls (and runs: a hash of the exact id)
    long_id = "a" * (MAX_PLAIN + 1)
    assert path_name("a" * MAX_PLAIN) == "a" * MAX_PLAIN and len(path_name(long_id)) < MAX_PLAIN


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_every_id_is_one_safe_path_component(identifier: str) -> None:
    assert is_safe_component(path_name(identifier))


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_distinct_ids_never_share_a_name_even_case_folded_or_normalised(first: str, second: str) -> None:
    if first == second:
        return
    names = {path_name(first), path_name(second)}
    assert len({unicodedata.normalize("NFD", n).casefold() for n in names}) == 2
