"""EmbeddedJudge on hand-written utterances (none taken from the dev sets)."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.embedded_judge import EmbeddedJudge
from sidecar.learn.judge.facts import drop_subsumed, split_sentences
from sidecar.learn.judge.rules import looks_like_secret
from sidecar.learn.judge.verdict import Judge, Verdict
from sidecar.store.embedder import MiniLMEmbedder


@pytest.fixture(scope="module")
def judge(embedder: MiniLMEmbedder) -> EmbeddedJudge:
    return EmbeddedJudge(embedder)


@pytest.mark.parametrize(
    "text",
    [
        "I'm allergic to kiwis, so fruit salads are risky for me.",
        "My husband Kenji only eats halal meat.",
        "I'm a veterinary surgeon in Cork.",
        "From now on, always show shell commands in a separate code block.",
        "Our repo requires every migration to have a matching rollback script.",
        "I do all my coding in Sublime Text on a Debian box.",
        "I can't stand podcasts that run over an hour.",
    ],
)
def test_durable_statements_are_memorized(judge: EmbeddedJudge, text: str) -> None:
    verdict = judge.judge(text)
    assert verdict.memorize, (text, verdict)
    assert verdict.facts and verdict.score >= judge.threshold


@pytest.mark.parametrize(
    "text",
    [
        "I'm exhausted today, let's stop here.",
        "What's the boiling point of water at altitude?",
        "Thanks a ton, that did it!",
        "Rename `cnt` to `retry_total` in this function.",
        "Suppose I moved to Oslo, how cold would winters feel?",
        "Just for this reply, skip the code comments.",
        "Stuck in traffic right now, reply later.",
    ],
)
def test_transient_and_non_facts_are_rejected(judge: EmbeddedJudge, text: str) -> None:
    verdict = judge.judge(text)
    assert not verdict.memorize, (text, verdict)
    assert verdict.facts == ()


def test_assistant_speculation_rejected_but_verified_observation_kept(judge: EmbeddedJudge) -> None:
    guess = judge.judge("You're probably using an old OpenSSL build, which would explain it.", role="assistant")
    assert not guess.memorize and guess.kind == "assistant_hypothesis"
    checked = judge.judge(
        "I checked the repo: the Dockerfile builds from python:3.12-slim and CI runs pytest with xdist.",
        role="assistant",
    )
    assert checked.memorize and checked.kind in ("project_convention", "environment")
    assert checked.facts[0].startswith("The Dockerfile builds")


def test_redacted_or_raw_secrets_fail_closed(judge: EmbeddedJudge) -> None:
    redacted = judge.judge("I live in Ghent and my router password is [REDACTED:password].")
    raw = judge.judge("Deploy with this token: ghp_Q2w3E4r5T6y7U8i9O0pAsDfGhJkL1234zXcV")
    for verdict in (redacted, raw):
        assert not verdict.memorize and verdict.kind == "secret" and verdict.facts == ()


def test_dummy_credentials_are_not_secrets() -> None:
    assert not looks_like_secret("Set DATABASE_URL=postgres://user:password@localhost:5432/dev in .env.example")
    assert not looks_like_secret("export ANTHROPIC_API_KEY=<your-key>")
    assert looks_like_secret("the db is at mysql://svc_orders:Hx7!pq2Zr@db-prod.internal/orders")


def test_buried_fact_in_question_is_extracted(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("Since I'm lactose intolerant, is aged parmesan okay to eat?")
    assert verdict.memorize
    assert "Is lactose intolerant" in verdict.facts


def test_counterfactual_presupposes_fact(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("If I weren't so scared of heights I'd have tried paragliding in Nepal.")
    assert verdict.memorize and verdict.facts == ("Is scared of heights",)


def test_yes_to_standing_proposal_uses_context(judge: EmbeddedJudge) -> None:
    context = "assistant: Should I add a changelog entry whenever I touch a public API?"
    durable = judge.judge("Yes, every time.", context=context)
    assert durable.memorize and durable.kind == "durable_instruction"
    assert "changelog" in durable.facts[0]
    once = judge.judge("Yes, for this one.", context=context)
    assert not once.memorize


def test_a_bare_number_correcting_the_speakers_last_sentence_restates_it(judge: EmbeddedJudge) -> None:
    corrected = judge.judge("Sorry, four! I always forget to count the baby.", context="user: I have three kids.")
    assert corrected.memorize and corrected.facts[0] == "Has four kids"
    # without the speaker's own numbered sentence before it, a bare number states nothing
    for context in ("", "assistant: You have three kids.", "user: I have three kids and two cats."):
        assert "Has four kids" not in judge.judge("Sorry, four!", context=context).facts


def test_an_aside_or_the_story_before_a_change_is_not_the_fact(judge: EmbeddedJudge) -> None:
    aside = judge.judge("My partner supports Tottenham, which makes derby day... interesting.")
    assert aside.memorize and aside.facts == ("Partner supports Tottenham",)
    story = judge.judge("Plot twist: coworkers dragged me to an omakase place and now I'm obsessed with sushi.")
    assert story.memorize and story.facts == ("Is obsessed with sushi",)


def test_score_sentence_orders_durable_above_transient(judge: EmbeddedJudge) -> None:
    durable = judge.score_sentence("I have type 2 diabetes.")
    transient = judge.score_sentence("I have a cold this week.")
    assert 0.0 <= transient < judge.threshold <= durable <= 1.0


def test_verdict_shape_and_protocol(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("I'm a landscape architect.")
    assert isinstance(judge, Judge)
    assert set(verdict.reasons) == {"factuality", "stability", "reuse"}
    assert verdict.backend == "embedded"
    with pytest.raises(ValueError):
        Verdict(False, "question", ("leaked",), {}, 0.1, "x")


def test_cached_training_reuses_the_exemplar_embeddings(judge: EmbeddedJudge, tmp_path) -> None:
    fresh = MiniLMEmbedder()  # its own text cache is empty, so only the disk cache can help
    cold = EmbeddedJudge(fresh, cache_dir=tmp_path)
    (cache_file,) = tmp_path.glob("gate-exemplars-*.npy")
    written = cache_file.stat().st_mtime_ns
    calls_before = fresh.calls
    assert calls_before > 0  # the cold start embedded the exemplars: the counter does count
    warm = EmbeddedJudge(fresh, cache_dir=tmp_path)
    assert fresh.calls == calls_before, "exemplars were re-embedded despite the cache"
    assert cache_file.stat().st_mtime_ns == written  # read, not rewritten
    for text in ("I'm a landscape architect.", "Thanks a ton, that did it!"):
        decisions = {(v.memorize, v.kind, v.facts) for v in (warm.judge(text), cold.judge(text), judge.judge(text))}
        assert len(decisions) == 1, (text, decisions)
    assert warm.judge("I'm a landscape architect.").memorize


def test_subsumed_facts_are_dropped() -> None:  # fact wording: tests/learn/judge/test_standalone.py
    assert drop_subsumed(["Has a cat", "Has a cat, so no lilies"]) == ["Has a cat"]


def test_sentence_split_skips_code_and_keeps_tails() -> None:
    text = "Here is the trace:\n```\nKeyError: 'x'\n```\nWe deploy with Helm. Never manually. Ok?"
    sentences = split_sentences(text)
    assert "KeyError: 'x'" not in " ".join(sentences)
    # a two-word tail is read with the sentence it qualifies; a question stays apart
    assert sentences == ["Here is the trace:", "We deploy with Helm. Never manually.", "Ok?"]


@pytest.mark.parametrize("text", [
    "Pablo: Hi Ana! Lost my job at the bakery last week, so I'm looking around.",
    "Pablo: Yesterday I quit the choir after ten years.",
])
def test_a_dated_life_event_is_history_not_a_passing_state(judge: EmbeddedJudge, text: str) -> None:
    assessments = judge.assess(text)
    assert any("past_event" in a.cues for a in assessments), assessments
    assert judge.judge(text).memorize


def test_in_a_named_conversation_what_is_said_to_the_listener_is_not_a_fact(judge: EmbeddedJudge) -> None:
    said = ("Pablo: Hey Ana! You'd make a wonderful teacher! Glad you've got people to lean on. "
            "I'm so proud of you. Been reading the novel you lent me, and I adopted a rescue greyhound last week.")
    kept = judge.judge(said)
    assert kept.memorize
    assert not any("teacher" in f or "lean on" in f or "proud" in f for f in kept.facts), kept.facts
    assert any("greyhound" in f for f in kept.facts), kept.facts
    assert all("addressed" not in a.cues for a in judge.assess(said) if "novel" in a.text)


def test_an_unnamed_user_may_still_instruct_the_assistant_about_you(judge: EmbeddedJudge) -> None:
    assert judge.judge("You should always run the linter before you commit.").memorize


def test_news_of_the_speaker_told_to_the_listener_is_kept(judge: EmbeddedJudge) -> None:
    said = "Pablo: Ana, you won't believe it - I got promoted to head chef yesterday!"
    assert all("addressed" not in a.cues for a in judge.assess(said))
    assert judge.judge(said).memorize


def test_sharing_a_photo_of_ones_own_in_a_chat_is_about_the_speaker(judge: EmbeddedJudge) -> None:
    said = "Pablo: Here's a photo of my daughter at her first swimming race."
    assert any("shows_own" in a.cues for a in judge.assess(said))
    assert judge.judge(said).memorize
    assert all("shows_own" not in a.cues for a in judge.assess("Here's a photo of my daughter."))  # unnamed


def test_the_speakers_clause_after_a_pronoun_opening_is_the_candidate() -> None:
    assert split_sentences("It's hard to choose, but I really love tapas.") == ["I really love tapas."]
    assert split_sentences("I like tea, but I hate coffee.") == ["I like tea, but I hate coffee."]
