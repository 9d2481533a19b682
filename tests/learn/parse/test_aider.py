from pathlib import Path

from transcript_helpers import parse_all, parse_in_pieces

HISTORY = """
# aider chat started at 2025-07-15 11:38:37

> Aider v0.85.1
> Main model: gpt-4o with diff edit format

#### We target Python 3.11 only.  
#### Keep that in mind.  

Understood: I'll only use Python 3.11 features.

notes.py
```python
<<<<<<< SEARCH
=======
x = 1
>>>>>>> REPLACE
```

> Tokens: 3.2k sent, 21 received.
> Applied edit to notes.py

#### /add notes.py  

#### Add file to the chat? (Y)es/(N)o [Yes]: y  

# aider chat started at 2025-07-16 09:00:00

#### What does this repo do?  

<thinking-content-7bbeb8e1441453ad>hidden reasoning</thinking-content-7bbeb8e1441453ad>
It is a trading signal engine.
"""


def test_user_assistant_blocks_and_sessions() -> None:
    data = HISTORY.encode()
    result = parse_all("aider", data, source="/proj/acme/.aider.chat.history.md")
    got = [(c.role, c.text, c.session_id) for c in result.candidates]
    assert got == [
        ("observation", "Uses Aider with OpenAI (gpt-4o as the main model)", "acme@2025-07-15 11:38:37"),
        ("user", "We target Python 3.11 only.\nKeep that in mind.", "acme@2025-07-15 11:38:37"),
        ("assistant", "Understood: I'll only use Python 3.11 features.\n\nnotes.py", "acme@2025-07-15 11:38:37"),
        ("user", "What does this repo do?", "acme@2025-07-16 09:00:00"),
    ]
    assert result.candidates[1].line == 7 and data[result.candidates[1].offset:].startswith(b"#### We target")
    assert result.candidates[1].cwd == "/proj/acme"
    # the last reply may still be streaming: its bytes are not consumed yet
    assert result.consumed == data.index(b"<thinking-content")
    finished = parse_all("aider", data + b"\n> Tokens: 1k sent\n", source="/proj/acme/.aider.chat.history.md")
    assert finished.candidates[-1].text == "It is a trading signal engine."
    assert finished.consumed == len(data) + len(b"\n> Tokens: 1k sent\n")


def test_incremental_reading_matches_whole_file(fixtures: Path) -> None:
    path = fixtures / "aider/AFI-Protocol__afi-core/.aider.chat.history.md"
    data = path.read_bytes()
    whole = parse_all("aider", data, source=str(path)).candidates
    assert parse_in_pieces("aider", data, str(path), [100, 5000, 5001, 30000, 60000]) == whole
    assert len([c for c in whole if c.role == "user"]) == 29
    assert not any(c.text.startswith("/") or "(Y)es/(N)o" in c.text for c in whole)
    assert not any("<<<<<<< SEARCH" in c.text for c in whole)


def test_input_history_reads_prompts() -> None:
    data = b"\n# 2025-07-15 11:41:32.15\n+add a header comment\n+to schema.ts\n\n# 2025-07-15 11:42:00.00\n+Y\n"
    result = parse_all("aider", data, source="/proj/acme/.aider.input.history")
    assert [c.text for c in result.candidates] == ["add a header comment\nto schema.ts"]  # "Y" may go on
    assert result.candidates[0].timestamp == "2025-07-15 11:41:32.15"
    closed = parse_all("aider", data + b"\n", source="/proj/acme/.aider.input.history")
    assert [c.text for c in closed.candidates][-1] == "Y"


def test_the_model_banner_is_one_observation_per_model() -> None:
    history = (
        "# aider chat started at 2026-04-26 19:45:34\n\n"
        "> /opt/bot/venv/bin/aider --model ollama/qwen2.5:7b-instruct-q4_K_M\n"
        "> Aider v0.86.2\n"
        "> Model: ollama/qwen2.5:7b-instruct-q4_K_M with whole edit format\n\n"
        "#### hi  \n\n"
        "# aider chat started at 2026-04-26 19:48:32\n\n"
        "> Model: ollama/qwen2.5:7b-instruct-q4_K_M with whole edit format\n\n"
        "# aider chat started at 2026-04-27 08:00:00\n\n"
        "> Main model: gemini/gemini-2.5-pro with diff-fenced edit format\n"
        "> Weak model: gemini/gemini-2.0-flash\n\n"
    ).encode()
    observed = [(c.text, c.line) for c in parse_all("aider", history, source="/p/bot/.aider.chat.history.md").candidates
                if c.role == "observation"]
    assert observed == [("Uses Aider with a local Ollama model (qwen2.5:7b-instruct-q4_K_M as the main model)", 5),
                        ("Uses Aider with Gemini (gemini-2.5-pro as the main model)", 15)]
