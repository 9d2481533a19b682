"""Sentences whose parse misleads the rewriter: split where no punctuation ends one, a clause as the subject,
a colon inside a name. Each is rewritten whole, or kept as said under the speaker's name; never garbled."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.standalone import StandaloneRewriter


@pytest.fixture(scope="module")
def rewriter() -> StandaloneRewriter:
    return StandaloneRewriter()


@pytest.mark.parametrize(
    ("sentence", "speaker", "fact"),
    [
        # the parser splits these after "and" / "but"; parsed again as one sentence they are one fact
        ("I'm doing kickboxing and it's giving me so much energy.", "John",
         "John is doing kickboxing and it's giving John so much energy"),
        ("I'm not really into hiking but I'm curious to see what the trail looks like.", "Nate",
         "Nate is not really into hiking but Nate is curious to see what the trail looks like"),
        # parsed as one, most of it would be lost, or the speaker: kept as said, under the speaker's name
        ("Unfortunately, allergies make it so I don't really want to get any, and I'm too lazy to research "
         "alternative pets for my allergies.", "Joanna",
         "Joanna: Unfortunately, allergies make it so I don't really want to get any, and I'm too lazy to "
         "research alternative pets for my allergies"),
        ("Her name's Coco and she's adorable.", "Maria", "Maria: Her name's Coco and she's adorable"),
    ],
)
def test_a_sentence_the_parser_splits_without_punctuation_is_parsed_again_whole(
        rewriter: StandaloneRewriter, sentence: str, speaker: str, fact: str) -> None:
    assert rewriter.rewrite(sentence, speaker=speaker) == fact


@pytest.mark.parametrize(
    ("sentence", "speaker", "fact"),
    [
        # a gerund that is the subject is no dropped "I": never "Melanie is taking care of ourselves is vital"
        ("Taking care of ourselves is vital.", "Melanie", "Melanie: Taking care of ourselves is vital"),
        ("Learning an instrument is really cool.", "John", "John: Learning an instrument is really cool"),
        # a colon inside a name does not start the fact
        ("I usually play CS:GO, but I tried Street Fighter this time.", "Nate",
         "Nate usually plays CS:GO, but Nate tried Street Fighter this time"),
        ("The game was called Counter-Strike: Global Offensive, and my team had a blast.", "Nate",
         "The game was called Counter-Strike: Global Offensive, and Nate's team had a blast"),
    ],
)
def test_what_looks_like_a_dropped_i_or_a_label_inside_a_sentence_is_left_alone(
        rewriter: StandaloneRewriter, sentence: str, speaker: str, fact: str) -> None:
    assert rewriter.rewrite(sentence, speaker=speaker) == fact
