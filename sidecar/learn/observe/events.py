"""A tool call and its output, as the parsers of each agent format find them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sidecar_shared.projects import project_name

__all__ = ["OBSERVATION_ROLE", "VERIFIED_ROLE", "ToolEvent", "clean_output", "output_text", "project_name",
           "tool_event"]

OBSERVATION_ROLE = "observation"
VERIFIED_ROLE = "assistant-verified"
_OUTPUT_WRAPPER = re.compile(r"^(?:Exit code: -?\d+\n)?(?:Wall time: [\d.]+ \w+\n)?(?:Output:\n?)?")
_GEMINI_WRAPPER = re.compile(r"^Command: .*\nDirectory: .*\nOutput: ?", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LINE_NUMBERS = re.compile(r"^\s*\d+\u2192", re.MULTILINE)  # Claude Code's Read tool: "    12→text"


@dataclass(frozen=True)
class ToolEvent:
    """One tool call: its name, the shell command or file path it used, and what it printed."""

    name: str
    command: str | None
    path: str | None
    output: str
    failed: bool = False


def tool_event(name: str, arguments: Any, output: Any, *, failed: bool = False) -> ToolEvent:
    """A :class:`ToolEvent` from a call's raw ``arguments`` (dict) and ``output`` (text or blocks)."""
    args = arguments if isinstance(arguments, dict) else {}
    command = _first_str(args, "command", "cmd")
    if isinstance(args.get("command"), list):
        command = " ".join(str(part) for part in args["command"])
    path = _first_str(args, "file_path", "path", "absolute_path", "filename", "notebook_path")
    return ToolEvent(name or "", command, path, clean_output(output_text(output)), failed)


def output_text(output: Any) -> str:
    """The text of a tool result, whatever the format wrapped it in."""
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        for key in ("output", "content", "text", "stdout", "result", "error"):
            if key in output:
                return output_text(output[key])
        nested = [v for v in output.values() if isinstance(v, (dict, list))]  # Gemini: functionResponse.response
        return "\n".join(output_text(v) for v in nested)
    if isinstance(output, list):
        return "\n".join(output_text(item) for item in output)
    return ""


def clean_output(text: str) -> str:
    """Tool output without the harness's wrappers (exit code banners, Read's line numbers)."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    text = _GEMINI_WRAPPER.sub("", text, count=1)
    text = _OUTPUT_WRAPPER.sub("", text, count=1)
    return _LINE_NUMBERS.sub("", text)


def _first_str(args: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and value:
            return value
    return None
