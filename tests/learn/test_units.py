"""Messages split into units: only prose and list items can become candidates."""

from __future__ import annotations

import pytest

from sidecar.learn.units import is_command, prose_text, split_units


def kinds(text: str) -> list[tuple[str, str]]:
    return [(u.kind, u.text) for u in split_units(text)]


@pytest.mark.parametrize("text", [
    'GovernanceRole: z.enum(["observer", "member"]),',
    "const x = await fetch(url);",
    "// make sure the schema is loaded first",
    "def handler(event):",
])
def test_code_lines_are_code(text: str) -> None:
    assert split_units(text)[0].kind == "code"


@pytest.mark.parametrize("text", [
    "Cd $dir && zsh ~/AFI_Modular_Repos/afi-audit.sh --all",
    "git status --short",
    "Get-ChildItem -Force",
    "sudo pacman -S --noconfirm hunspell-en_us",
    "cat package.json",
    "$ npm test",
    "git add schemas/universal_signal_schema.ts validators/SignalScorer.ts",
])
def test_shell_commands_are_commands(text: str) -> None:
    assert split_units(text)[0].kind == "command"


@pytest.mark.parametrize("text", [
    "python is my favourite language",
    "git is hard for me to learn",
    "make sure you run the tests before committing",
    "Make a copy of lead_memory.txt name it as lead_gemini.txt and optimize these instructions",
    "The API uses FastAPI and Postgres 16.",
    'Flask app must bind to host="0.0.0.0" port=5001.',
])
def test_sentences_that_start_like_commands_stay_prose(text: str) -> None:
    assert [u.kind for u in split_units(text)] == ["prose"]


def test_fenced_code_traces_and_tables_are_left_out_of_the_prose() -> None:
    text = ("I prefer tabs over spaces in every Go file.\n\n```python\nx = 1\n```\n"
            "Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\nValueError: bad\n\n"
            "| a | b |\n|---|---|\n\nWe deploy on Render.")
    assert prose_text(text) == "I prefer tabs over spaces in every Go file.\nWe deploy on Render."


def test_list_items_lose_their_numbering_and_markup() -> None:
    text = "Done. Single `index.html` with:\n\n- **Pixel art font** (Press Start 2P)\n2. Confirm ESM compliance across all files you have. 3"
    assert kinds(text) == [("prose", "Done. Single `index.html` with:"), ("list_item", "Pixel art font (Press Start 2P)"),
                           ("list_item", "Confirm ESM compliance across all files you have.")]


def test_a_flattened_numbered_list_is_split_back_into_items() -> None:
    text = ("1. dual boot Windows 11 / CachyOS Cosmic with rEFInd boot manager 2. the time is off by some hours, "
            "but the date is correct.")
    assert kinds(text) == [("list_item", "dual boot Windows 11 / CachyOS Cosmic with rEFInd boot manager"),
                           ("list_item", "the time is off by some hours, but the date is correct.")]


def test_chat_lines_stay_separate_statements_and_quotes_are_read_as_what_they_quote() -> None:
    assert prose_text("hi!\nhosted at random.akerud.se\n> the repo lives in ~/code") == \
        "hi!\nhosted at random.akerud.se\nthe repo lives in ~/code"
    assert prose_text("> rewrite dashboard.py with a dark theme. Flask app must bind to port 5001.") == \
        "rewrite dashboard.py with a dark theme. Flask app must bind to port 5001."


def test_is_command_needs_a_known_command_word() -> None:
    assert not is_command("gently --force the issue")
    assert is_command("npm run build -- --watch")
