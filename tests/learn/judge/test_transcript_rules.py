"""What the embedded judge keeps from real transcripts: no tasks, no questions, no guesses."""

from __future__ import annotations

import pytest

from sidecar.learn.judge.embedded_judge import EmbeddedJudge


@pytest.fixture(scope="module")
def judge(embedder) -> EmbeddedJudge:
    return EmbeddedJudge(embedder)


@pytest.mark.parametrize("text", [
    "Implement ENG-1234", "Work on bead 42", "Open M-Gemini repo", "Show tools", "Update Gemini CLI",
    "help me apply for the agentic engineering grant by Superteam", "install warp Zero Trust",
    "I would like a comprehensive security audit of the data flow", "can you make a LICENSE file with the MIT license?",
    "do we need something for that?", "Push the technical report to your repo.",
])
def test_one_off_tasks_and_questions_are_never_facts(judge: EmbeddedJudge, text: str) -> None:
    assert not judge.judge(text).memorize


@pytest.mark.parametrize(("text", "fact"), [
    ("Telegram username: @Kunal66699", "Telegram username is @Kunal66699"),
    ("X profile: KunalSharm89327", "X profile is KunalSharm89327"),
])
def test_labelled_identity_values_are_kept(judge: EmbeddedJudge, text: str, fact: str) -> None:
    verdict = judge.judge(text)
    assert verdict.memorize and verdict.kind == "identity" and verdict.facts == (fact,)


def test_standing_rules_in_conditional_or_requirement_form_are_kept(judge: EmbeddedJudge) -> None:
    assert judge.judge("when running gitleaks scan on staged files dont block the commit-push, "
                       "instead redact each individual secret in each file").memorize
    assert judge.judge('Flask app must bind to host="0.0.0.0" port=5001.').memorize


def test_a_line_with_a_secret_is_dropped_and_the_rest_still_judged(judge: EmbeddedJudge) -> None:
    verdict = judge.judge("Telegram username: @kunal\npassword: [REDACTED:password]")
    assert verdict.memorize and verdict.facts == ("Telegram username is @kunal",)
    assert judge.judge("My password is [REDACTED:password]").kind == "secret"


def test_assistant_reports_count_only_right_after_tool_output(judge: EmbeddedJudge) -> None:
    report = "The M-Gemini repo lives in /home/mischa/M-Gemini on CachyOS."
    assert judge.judge(report, role="assistant-verified").memorize
    assert not judge.judge(report, role="assistant").memorize
    detail = "The `generate_journals.py` script has a hardcoded `repo_root` pointing to `/home/mischa/M-Gemini`."
    assert not judge.judge(detail, role="assistant-verified").memorize
    for chatter in ("I'll run the fixed script now.", "It also uses rejection sampling.",
                    "You can now launch it from the Start menu.", "It seems the tool is not installed."):
        assert not judge.judge(chatter, role="assistant-verified").memorize, chatter


def test_requests_in_other_languages_are_tasks_but_their_facts_are_kept(judge: EmbeddedJudge) -> None:
    assert not judge.judge("サンプルの .gemini/commands/cmd.toml も用意してほしい。").memorize
    assert judge.judge("你好！我叫林晓雯，在杭州一所小学教数学，想请你帮我准备课件。").memorize


@pytest.mark.parametrize("text", [
    "THANKS!! it works perfectly, even hosted ok random.akerud.se now awaiting my friends input :)",
    "ok it works now on staging.example.com",
    "あるプロジェクトにおいてgemini cliで /cmd と入力することにより、.gemini/commands/cmd.toml を実行するようにする。",
])
def test_status_reports_and_task_specs_are_not_facts(judge: EmbeddedJudge, text: str) -> None:
    assert not judge.judge(text).memorize


def test_a_status_report_rule_leaves_setup_facts_alone(judge: EmbeddedJudge) -> None:
    assert judge.judge("Our API runs on Kubernetes with Postgres 16 behind it.").memorize


@pytest.mark.parametrize("text", [
    "Caroline: I went to a LGBTQ support group yesterday and it was so powerful.",
    "Melanie: We went camping with the kids two weekends ago.",
    "I signed up for a pottery class last week.",
])
def test_a_dated_past_event_of_the_speaker_is_kept(judge: EmbeddedJudge, text: str) -> None:
    verdict = judge.judge(text)
    assert verdict.memorize and verdict.kind in ("personal_fact", "third_party_fact"), verdict


@pytest.mark.parametrize("text", [
    "I'm so tired today, let's stop here.",
    "Did you go to the concert last week?",
    "Currently stuck at Frankfurt airport, flight's delayed three hours",
])
def test_present_states_and_questions_about_the_past_stay_out(judge: EmbeddedJudge, text: str) -> None:
    assert not judge.judge(text).memorize
