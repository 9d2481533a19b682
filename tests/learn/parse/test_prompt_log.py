"""Markdown prompt logs read by the generic parser: one user message per finished section."""

from __future__ import annotations

from sidecar.learn.parse.records import ParserState

from transcript_helpers import parse_all

LOG = """
## [2026/1/16 23:22:37] Command Content

```
autolog-gemini-cli をTypeScriptで実装したい。
I want a sample cmd.toml too.
```

---

## [2026/1/16 23:28:58] Command Content

```
Take the history file as the second argument.
```

---
""".encode()


def test_each_finished_section_is_a_user_prompt_with_its_time() -> None:
    result = parse_all("generic", LOG, source="/p/.gemini/history.md")
    assert [(c.role, c.text, c.timestamp, c.line) for c in result.candidates] == [
        ("user", "autolog-gemini-cli をTypeScriptで実装したい。\nI want a sample cmd.toml too.", "2026/1/16 23:22:37", 5),
        ("user", "Take the history file as the second argument.", "2026/1/16 23:28:58", 14),
    ]
    assert result.consumed == len(LOG)


def test_a_section_still_being_written_waits_for_the_next_rule() -> None:
    partial = LOG[: LOG.index(b"Take the")] + b"Take the hist"
    state = ParserState()
    first = parse_all("generic", partial, source="/p/history.md", state=state)
    assert [c.text[:8] for c in first.candidates] == ["autolog-"]
    assert first.consumed < len(partial)
    assert state.extra["heading"].startswith("## [2026/1/16 23:28:58]")
