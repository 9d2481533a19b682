"""Aider chat history: ``<project>/.aider.chat.history.md``.

Lines starting with ``#### `` are the user's input; ``> `` lines are aider's
own tool/command output; ``# aider chat started at ...`` opens a session; any
other text between them is the assistant's reply. A message is emitted only
once the next block begins, so the bytes of a message still being written are
not consumed. Also reads ``.aider.input.history`` (``# <time>`` + ``+line``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from sidecar.learn.observe.aider_banner import aider_model_fact
from sidecar.learn.observe.events import OBSERVATION_ROLE
from sidecar.learn.parse.jsonl import complete_lines
from sidecar.learn.parse.records import Candidate, ParseResult, ParserState

_HEADER = "# aider chat started at "
_CONFIRMATION = re.compile(r"\(Y\)es/\(N\)o")
_THINKING = re.compile(r"<(thinking-content-[0-9a-f]+|think|thinking)>.*?(?:</\1>|\Z)", re.DOTALL)
_EDIT_BLOCK = re.compile(r"^<<<<<<< SEARCH\n.*?^>>>>>>> REPLACE\n?", re.DOTALL | re.MULTILINE)
_EMPTY_FENCE = re.compile(r"^```[^\n]*\n\s*```\s*$", re.MULTILINE)


@dataclass
class _Block:
    role: str
    line: int
    offset: int
    lines: list[str] = field(default_factory=list)


def _clean_assistant(text: str) -> str:
    text = _THINKING.sub("", text)
    text = _EDIT_BLOCK.sub("", text)
    return _EMPTY_FENCE.sub("", text).strip()


def _clean_user(lines: list[str]) -> str:
    kept = [line for line in lines if not _CONFIRMATION.search(line)]
    text = "\n".join(kept).strip()
    return "" if text.startswith("/") else text  # slash commands drive aider, they say nothing


class AiderParser:
    """Parser for Aider's markdown chat history (and its prompt input history)."""

    agent = "aider"

    def parse(
        self, chunk: bytes, *, source: str, start_offset: int, start_line: int, state: ParserState
    ) -> ParseResult:
        """Parse complete blocks of ``chunk``; an unfinished last block is not consumed."""
        input_history = PurePath(source).name.endswith(".input.history")
        project = PurePath(source).parent.name or "aider"
        result = ParseResult()
        block: _Block | None = None
        lines, end_of_lines = complete_lines(chunk, start_offset=start_offset, start_line=start_line)
        for raw in lines:
            try:
                text = raw.data.decode("utf-8")
            except UnicodeDecodeError:
                result.corrupt += 1
                continue
            role, content = self._input_line(text) if input_history else self._chat_line(text)
            if block is not None and role != block.role:
                self._close(block, result, source=source, state=state)
                block = None
            if role == "session":
                result.records += 1
                state.extra["started"] = content
                if not input_history:  # the input history stamps every prompt, not sessions
                    state.session_id = f"{project}@{content}"
            elif role == "tool" and (fact := aider_model_fact(text)) and state.extra.get("model_fact") != fact:
                state.extra["model_fact"] = fact  # once per run of sessions on the same model
                result.candidates.append(Candidate(
                    agent=self.agent, session_id=state.session_id or project, role=OBSERVATION_ROLE, text=fact,
                    source=source, line=raw.line, offset=raw.offset, timestamp=state.extra.get("started"),
                    cwd=str(PurePath(source).parent)))
            elif role in ("user", "assistant") and (block is not None or content.strip()):
                block = block or _Block(role, raw.line, raw.offset)
                block.lines.append(content)
        result.consumed = end_of_lines if block is None else block.offset - start_offset
        return result

    @staticmethod
    def _chat_line(text: str) -> tuple[str, str]:
        if text.startswith(_HEADER):
            return "session", text[len(_HEADER):].strip()
        if text.startswith("####") and text[4:5] in ("", " "):
            return "user", text[5:].rstrip()
        if text.rstrip() == ">" or text.startswith("> "):  # not ">>>>>>> REPLACE"
            return "tool", ""
        return "assistant", text.rstrip()

    @staticmethod
    def _input_line(text: str) -> tuple[str, str]:
        if text.startswith("# "):
            return "session", text[2:].strip()
        if text.startswith("+"):
            return "user", text[1:].rstrip()
        return "gap", ""

    def _close(self, block: _Block, result: ParseResult, *, source: str, state: ParserState) -> None:
        result.records += 1
        text = _clean_user(block.lines) if block.role == "user" else _clean_assistant("\n".join(block.lines))
        if not text:
            return
        started = state.extra.get("started")
        result.candidates.append(
            Candidate(
                agent=self.agent,
                session_id=state.session_id or PurePath(source).parent.name or "aider",
                role=block.role,
                text=text,
                source=source,
                line=block.line,
                offset=block.offset,
                timestamp=started,
                cwd=str(PurePath(source).parent),
            )
        )
