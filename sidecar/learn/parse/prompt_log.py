"""Plain Markdown prompt logs (``*.md``): the user's prompts, one section each.

Some tools log what the user typed to an agent as Markdown: a heading (often
with a timestamp) per prompt, the prompt itself (sometimes fenced), a ``---``
rule between entries. Every section is one user message; fences are unwrapped
because here they hold what the user wrote, not code. A section is emitted once
the next heading or rule begins, so a prompt still being written is not read.
"""

from __future__ import annotations

import re

from sidecar.learn.parse.fields import session_from_filename
from sidecar.learn.parse.jsonl import RawLine, complete_lines
from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

_HEADING = re.compile(r"^#{1,6}\s")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_TIMESTAMP = re.compile(r"\[?(\d{4}[/-]\d{1,2}[/-]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\]?")


def parse_prompt_log(chunk: bytes, *, agent: str, source: str, start_offset: int, start_line: int,
                     state: ParserState) -> ParseResult:
    """The finished sections of ``chunk`` as user candidates; see the module docstring."""
    lines, _ = complete_lines(chunk, start_offset=start_offset, start_line=start_line)
    result = ParseResult()
    section: list[RawLine] = []
    in_fence = False
    for raw in lines:
        text = raw.data.decode("utf-8", errors="replace")
        if _FENCE.match(text):
            in_fence = not in_fence
        if in_fence or not (_HEADING.match(text) or _RULE.match(text)):
            section.append(raw)
            continue
        _emit(result, section, state.extra.get("heading"), agent=agent, source=source, state=state)
        section = []
        if _HEADING.match(text):
            state.extra["heading"] = text
        result.records += 1
        result.consumed = chunk.index(b"\n", raw.offset - start_offset) + 1
    return result


def _emit(result: ParseResult, section: list[RawLine], heading: str | None, *, agent: str, source: str,
          state: ParserState) -> None:
    body = [raw for raw in section if raw.data.strip() and not _FENCE.match(raw.data.decode("utf-8", "replace"))]
    if not body:
        return
    text = "\n".join(raw.data.decode("utf-8", errors="replace").rstrip() for raw in body).strip()
    stamp = _TIMESTAMP.search(heading or "")
    result.candidates.append(Candidate(
        agent=agent, session_id=state.session_id or session_from_filename(source), role="user", text=text,
        source=source, line=body[0].line, offset=body[0].offset, timestamp=stamp.group(1) if stamp else None,
        cwd=state.cwd, message_id=None))
