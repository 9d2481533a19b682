"""The user's answers to an agent's multiple-choice questions become statements in their voice."""

from __future__ import annotations

import json

from transcript_helpers import parse_all

from sidecar.learn.parse.question_answers import answered_statements, as_statement

RESULT = ('User has answered your questions: "Do you have SSH access set up to Slate and Zima already?"="Yes, '
          'with keys", "Which package manager do you use?"="pnpm", "Are you on macOS?"="No, Arch Linux", '
          '"Slate isn\'t responding. How should I access it?"="Try web UI". You can now continue.')


def test_each_answer_is_restated_with_its_question() -> None:
    assert answered_statements(RESULT) == [
        "I have SSH access set up to Slate and Zima already, with keys",
        "I use pnpm as my package manager",
        "I am not on macOS; Arch Linux",
    ]


def test_non_answers_and_other_tool_output_say_nothing() -> None:
    assert as_statement("Which editor do you use?", "Other") is None
    assert as_statement("What is your timezone?", "  ") is None
    assert answered_statements('"Do you have a cat?"="Yes"') == []  # not the tool's reply


def test_claude_code_tool_result_answers_are_user_candidates() -> None:
    records = [
        {"type": "assistant", "sessionId": "s1", "cwd": "/home/u/proj", "uuid": "a1",
         "message": {"role": "assistant", "content": [
             {"type": "tool_use", "id": "t1", "name": "AskUserQuestion", "input": {"questions": []}}]}},
        {"type": "user", "sessionId": "s1", "cwd": "/home/u/proj", "uuid": "u1",
         "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": RESULT}]}},
    ]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    found = [(c.role, c.text) for c in parse_all("claude-code", data, source="/x/s1.jsonl").candidates]
    assert ("user", "I use pnpm as my package manager") in found
    assert all(role == "user" for role, _ in found) and len(found) == 3
    answers = parse_all("claude-code", data, source="/x/s1.jsonl").candidates
    assert len({c.message_id for c in answers}) == 3  # the queue keeps one job per message id
