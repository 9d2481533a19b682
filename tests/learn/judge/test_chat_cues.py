"""Speech to the other person in a named conversation: reactions, advice, support; facts are left alone."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.chat_cues import EVENT_OF_RECORD, chat_event, is_planned_event, is_reaction, said_to_listener
from sidecar.learn.judge.embedded_judge import EmbeddedJudge
from sidecar.learn.judge.facts import split_sentences
from sidecar.store.embedder import MiniLMEmbedder


@pytest.mark.parametrize("said, cue", [
    ("Totally agree, Jon.", "reaction"),
    ("Yeah, me too!", "reaction"),
    ("Absolutely Marta.", "reaction"),
    ("Wow Jon, same here!", "reaction"),
    (";)", "reaction"),
    ("Nice idea!", "reaction"),
    ("I hope so, Gina!", "reaction"),
    ("Sorry to hear that, John.", "reaction"),
    ("Oh John, that sounds tough.", "reaction"),
    ("Believe in yourself, Jon!", "advice"),
    ("Keep going and never give up!", "advice"),
    ("Don't give up, buddy!", "advice"),
    ("And remember, I'm always here for you.", "support"),
    ("You'd make a wonderful teacher!", "addressed"),
])
def test_speech_to_the_listener_is_recognised(said: str, cue: str) -> None:
    assert said_to_listener(said) == cue


@pytest.mark.parametrize("said", [
    "Lost my job as a banker yesterday.",
    "Been only to Rome once.",
    "Never had a chance to visit it.",
    "Marley's perfect for dance floors.",
    "Yes, I have two kids.",
    "I keep bees in my garden.",
    "Contemporary dance is so expressive and graceful.",
    "Gina, you won't believe it - I got promoted yesterday!",
])
def test_what_the_speaker_states_is_not_speech_to_the_listener(said: str) -> None:
    assert said_to_listener(said) is None


def test_a_reaction_is_only_reaction_words_and_names() -> None:
    assert is_reaction("Oh wow, Paris, that's amazing!")
    assert not is_reaction("Oh wow, we moved to Paris!")


@pytest.fixture(scope="module")
def judge(embedder: MiniLMEmbedder) -> EmbeddedJudge:
    return EmbeddedJudge(embedder)


def test_a_named_turn_keeps_its_fact_and_drops_the_reaction_and_the_advice(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("Gina: Totally agree, Jon. Believe in yourself! I'm always here for you. "
                          "I compete in salsa contests every spring.")
    assert verdict.memorize
    assert any("salsa" in fact for fact in verdict.facts), verdict.facts
    assert not any("agree" in f or "Believe" in f or "here for" in f for f in verdict.facts), verdict.facts


def test_a_since_of_time_is_not_a_reason_clause() -> None:
    assert split_sentences("Since I'm vegan, what should I cook?")[0] == "I'm vegan"
    assert split_sentences("Since we last spoke, I took my kids to a park yesterday.") == [
        "Since we last spoke, I took my kids to a park yesterday."]


def test_a_label_does_not_hide_an_imperative_or_a_question(judge: EmbeddedJudge) -> None:
    assert not judge.judge("Gina: Check my ideal dance studio by the water.").memorize
    assert not judge.judge("Gina: Got any other features you want before you decide? Paris?!").memorize


def test_a_dated_past_event_inside_a_chat_turn_is_kept(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("Melanie: Hey Caroline! Since we last spoke, I took my kids to a park yesterday. "
                          "They had fun exploring and playing. What's new with you?")
    assert any("park" in fact for fact in verdict.facts), verdict.facts
    assert not any(fact.lower().startswith("we last spoke") for fact in verdict.facts), verdict.facts


def test_an_ongoing_pursuit_in_a_chat_is_kept_and_a_passing_state_is_not(judge: EmbeddedJudge) -> None:
    assert judge.judge('Jon: I\'m currently reading "The Lean Startup" and hoping it gives me tips for my biz.').memorize
    assert not judge.judge("Jon: I'm currently stuck at the airport.").memorize
    assert not judge.judge("I'm currently reading the stack trace you sent.").memorize  # no chat: a passing task


def test_showing_ones_own_thing_in_a_chat_is_about_the_speaker() -> None:
    from sidecar.learn.judge import rules

    assert rules.SHOWS_OWN.match("Here's one of my trophies from a dance contest.")
    assert rules.SHOWS_OWN.match("This is my dog Max at the lake.")
    assert not rules.SHOWS_OWN.match("Here's the plan for tomorrow.")


def test_a_chat_sentence_without_its_i_is_still_about_the_speaker(judge: EmbeddedJudge) -> None:
    said = "Jon: Thanks, Gina. Still working on opening a dance studio."
    assert all("impersonal" not in a.cues for a in judge.assess(said) if "studio" in a.text)
    assert any("impersonal" in a.cues for a in judge.assess("Still working on opening a dance studio."))  # no chat


@pytest.mark.parametrize("said", [
    "John: Yeah, for sure. Have you ever gone camping or mountain climbing before?",
    "Melanie: You're so inspiring. What's pushing you to keep going forward with it?",
])
def test_a_question_in_a_chat_is_never_a_fact(judge: EmbeddedJudge, said: str) -> None:
    asked = [a for a in judge.assess(said) if a.text.rstrip().endswith("?")]
    assert asked and all(a.probability < judge.threshold for a in asked)


@pytest.mark.parametrize("said", [
    "I'm getting ready for a dance comp near me next month.",
    "I'm planning a trip to the East Coast.",
    "We're putting together a talent show for the kids next month.",
    "I'm taking some time off this weekend to chill with my pets.",
    "I'll come over tomorrow if that's fine.",
])
def test_a_plan_of_the_speakers_own_is_recognised(said: str) -> None:
    assert is_planned_event(said)


@pytest.mark.parametrize("said", [
    "Are you planning a trip next month?",  # asked of the listener
    "The museum reopens next month.",  # nobody's plan
    "We haven't talked in a few days.",
    "Alright, see you tomorrow!",  # a goodbye
    "I'm sure it'll be a blast tomorrow.",  # an opinion about tomorrow
])
def test_what_is_no_plan_of_the_speakers_is_not_one(said: str) -> None:
    assert not is_planned_event(said)


def test_in_a_chat_a_plan_of_the_speakers_is_kept(judge: EmbeddedJudge) -> None:
    said = "Jon: Hey Gina! I'm getting ready for a dance comp near me next month."
    assert any("planned_event" in a.cues for a in judge.assess(said))
    kept = judge.judge(said)
    assert kept.memorize and any("dance comp" in fact for fact in kept.facts), kept.facts


def test_in_a_chat_i_want_to_states_a_goal_and_to_an_agent_it_is_a_request(judge: EmbeddedJudge) -> None:
    goal = judge.judge("Maria: I want to get stronger and improve my endurance, and I'm trying kundalini yoga.")
    assert goal.memorize and any("kundalini yoga" in fact for fact in goal.facts), goal.facts
    assert not judge.judge("I want to get a summary of this file.").memorize


@pytest.mark.parametrize("said, cue", [
    ("I just got a new addition to the family, this is Max!", "recent_event"),
    ("My wife and I just left for our European vacation!", "recent_event"),
    ("My girlfriend, Toby and I are going camping.", "planned_event"),
    ("I'm going to make it for my family this weekend - can't wait!", "planned_event"),
    ("Did you just get back from Rome?", None),  # asked of the listener
    ("The bus just left.", None),  # nobody's news of their own
    ("I'm going to be honest with you.", None),
    ("Had an audition yesterday for a writing gig.", "past_event"),  # said without its "I"
    ("Went to a fashion show last week, so fun!", "past_event"),
    ("Went to bed early.", None),  # no time: nothing to date
])
def test_news_and_plans_of_the_speakers_own_are_told_apart(said: str, cue: str | None) -> None:
    assert chat_event(said) == cue


def test_just_done_counts_as_news_only_between_people(judge: EmbeddedJudge) -> None:
    assert judge.judge("Nate: Way to go! I just got a new addition to the family, this is Max!").memorize
    assert not judge.judge("I just fixed the failing test.").memorize  # a coding session's progress report


@pytest.mark.parametrize("said, kept", [
    ("Caroline: It sure shows how important friendship is. We even had a picnic last week!", "picnic"),
    ("Joanna: I'm good! Was super nervous last week when I shared my book with my writers group but got some "
     "great feedback.", "Joanna was super nervous"),
    ("Nate: This weekend, I'm planning to check out this cozy cafe and hang out there.", "cozy cafe"),
    ("Andrew: My girlfriend and I had an amazing and emotional wedding ceremony last week.", "wedding"),
])
def test_in_a_chat_an_event_of_the_speakers_own_is_kept_whatever_the_classifier_says(
        judge: EmbeddedJudge, said: str, kept: str) -> None:
    verdict = judge.judge(said)
    assert verdict.memorize and any(kept in fact for fact in verdict.facts), verdict.facts


@pytest.mark.parametrize("said", [
    "Caroline: Did you have a picnic last week?",  # asked
    "Caroline: Imagine if we had a picnic last week.",  # imagined
    "We even had a picnic last week!",  # no chat: a coding session's aside is judged as before
])
def test_an_event_asked_imagined_or_outside_a_chat_gets_no_floor(judge: EmbeddedJudge, said: str) -> None:
    about_the_picnic = [a for a in judge.assess(said) if "picnic" in a.text]
    assert about_the_picnic and all(a.probability < EVENT_OF_RECORD for a in about_the_picnic), about_the_picnic
