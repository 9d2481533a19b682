"""Tool traffic in transcripts: observations from tool output, verified assistant reports."""

from __future__ import annotations

import json

from transcript_helpers import jsonl, parse_all

MANIFEST = json.dumps({"name": "web", "dependencies": {"next": "15.0.0", "react": "19.0.0"}})


def roles_and_texts(result) -> list[tuple[str, str]]:
    return [(c.role, c.text) for c in result.candidates]


def test_claude_code_reads_become_observations_and_the_report_after_them_is_verified() -> None:
    base = {"sessionId": "s1", "cwd": "/home/me/code/web"}
    data = jsonl(
        {**base, "type": "user", "uuid": "u1", "message": {"role": "user", "content": "what is this repo?"}},
        {**base, "type": "assistant", "uuid": "a1", "message": {"role": "assistant", "content": [
            {"type": "text", "text": "I will look at the manifest."},
            {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "/home/me/code/web/package.json"}}]}},
        {**base, "type": "user", "uuid": "u2", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": MANIFEST}]}},
        {**base, "type": "assistant", "uuid": "a2", "message": {"role": "assistant", "content": [
            {"type": "text", "text": "The app is built with Next.js."}]}},
        {**base, "type": "user", "uuid": "u3", "message": {"role": "user", "content": "thanks"}},
        {**base, "type": "assistant", "uuid": "a3", "message": {"role": "assistant", "content": "You're welcome."}},
    )
    assert roles_and_texts(parse_all("claude-code", data)) == [
        ("user", "what is this repo?"),
        ("assistant", "I will look at the manifest."),
        ("observation", "Project web is a Next.js app"),
        ("assistant-verified", "The app is built with Next.js."),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]


def test_codex_function_outputs_are_matched_to_their_calls() -> None:
    def item(payload):
        return {"type": "response_item", "payload": payload}

    data = jsonl(
        {"type": "session_meta", "payload": {"id": "c1", "cwd": "C:\\repos\\BattleCity"}},
        item({"type": "function_call", "name": "shell_command", "call_id": "k1",
              "arguments": json.dumps({"command": "bash --version"})}),
        item({"type": "function_call_output", "call_id": "k1", "output":
              "Exit code: 1\nOutput:\nbash : The term 'bash' is not recognized as the name of a cmdlet"}),
        item({"type": "function_call", "name": "shell_command", "call_id": "k2",
              "arguments": json.dumps({"command": "Get-Content package.json"})}),
        item({"type": "function_call_output", "call_id": "k2", "output": "Exit code: 0\nOutput:\n" + MANIFEST}),
        item({"type": "function_call_output", "call_id": "unknown", "output": MANIFEST}),
    )
    assert roles_and_texts(parse_all("codex", data)) == [
        ("observation", "Works on Windows with PowerShell; bash is not installed"),
        ("observation", "Project BattleCity is a Next.js app"),
        ("observation", "Works on Windows with PowerShell"),
    ]


def test_gemini_tool_results_inside_messages_and_each_fact_once_per_file() -> None:
    release = 'NAME="CachyOS Linux"\nID_LIKE=arch\n'
    call = {"name": "run_shell_command", "args": {"command": "cat /etc/os-release"},
            "result": [{"functionResponse": {"response": {"output": f"Command: cat /etc/os-release\nDirectory: (root)\nOutput: {release}"}}}]}
    document = {"sessionId": "g1", "messages": [
        {"id": "m1", "type": "user", "content": "install spell check"},
        {"id": "m2", "type": "gemini", "content": "I will check the OS.", "toolCalls": [call]},
        {"id": "m3", "type": "gemini", "content": "The system runs CachyOS.", "toolCalls": [call]},
    ]}
    result = parse_all("gemini", json.dumps(document, indent=1).encode(), source="/t/session-1.json")
    assert roles_and_texts(result) == [
        ("user", "install spell check"),
        ("assistant", "I will check the OS."),
        ("observation", "Runs CachyOS Linux (Arch-based)"),
        ("assistant-verified", "The system runs CachyOS."),
    ]
