"""Extractive and chat-model summarisers."""

from __future__ import annotations

import pytest

from sidecar.context.summarize import ExtractiveSummariser, OllamaSummariser, split_sentences
from sidecar_shared.markers import wrap_context


def keyword_score(sentence: str) -> float:
    """Test scorer: sentences mentioning durable facts score high."""
    words = ("prefer", "always", "deadline", "name")
    return float(sum(word in sentence.lower() for word in words))


def test_split_sentences() -> None:
    assert split_sentences("One. Two!  Three?\nFour") == ["One.", "Two!", "Three?", "Four"]


def test_keeps_best_sentences_in_original_order_with_roles() -> None:
    summariser = ExtractiveSummariser(keyword_score, max_sentences=2)
    summary = summariser.summarise(
        "",
        [
            {"role": "user", "content": "Hello there. My name is Ada."},
            {"role": "assistant", "content": "Nice weather. Noted."},
            {"role": "user", "content": "I prefer tabs, always. Thanks."},
        ],
    )
    assert summary == "user: My name is Ada.\nuser: I prefer tabs, always."


def test_previous_lines_kept_while_they_fit_and_rank() -> None:
    summariser = ExtractiveSummariser(keyword_score, max_sentences=3, max_chars=200)
    previous = "user: The deadline is Friday.\nassistant: Small talk."
    summary = summariser.summarise(previous, [{"role": "user", "content": "I prefer dark mode."}])
    assert summary.splitlines() == ["user: The deadline is Friday.", "assistant: Small talk.", "user: I prefer dark mode."]
    tight = ExtractiveSummariser(keyword_score, max_sentences=2, max_chars=200)
    assert tight.summarise(previous, [{"role": "user", "content": "I prefer dark mode."}]).splitlines() == [
        "user: The deadline is Friday.",
        "user: I prefer dark mode.",
    ]


def test_char_budget_dedupe_and_injected_context_skipped() -> None:
    summariser = ExtractiveSummariser(keyword_score, max_sentences=10, max_chars=40)
    summary = summariser.summarise(
        "",
        [
            {"role": "user", "content": "I prefer tea. I prefer tea."},
            {"role": "assistant", "content": wrap_context("- always inject this name", "direct")},
            {"role": "user", "content": "The deadline is a long way off, always."},
        ],
    )
    assert len(summary) <= 40
    assert summary == "user: I prefer tea."  # the longer, higher-scoring line does not fit
    assert "inject" not in summary


def test_ollama_summariser_uses_injected_chat() -> None:
    seen: list[list[dict]] = []

    def chat(messages: list[dict]) -> str:
        seen.append(messages)
        return "  Summary text.  "

    summary = OllamaSummariser(chat).summarise("old facts", [{"role": "user", "content": "new fact"}])
    assert summary == "Summary text."
    assert seen[0][0]["role"] == "system"
    assert "old facts" in seen[0][1]["content"] and "user: new fact" in seen[0][1]["content"]
    with pytest.raises(ValueError):
        OllamaSummariser(lambda _: "   ").summarise("", [{"role": "user", "content": "x"}])
