"""Argument checks for op handlers: each failure names the argument and what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar_shared.protocol import SCOPE_KEYS, Code, has_control_chars

MAX_ID_CHARS = 256


class OpError(Exception):
    """An op failed in a way the client should hear about, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad(message: str) -> OpError:
    return OpError(Code.BAD_REQUEST, message)


def string(args: Mapping[str, Any], key: str, *, required: bool = True, max_len: int = 100_000) -> str | None:
    value = args.get(key)
    if value is None:
        if required:
            raise bad(f"argument {key!r} is required")
        return None
    if not isinstance(value, str):
        raise bad(f"argument {key!r} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise bad(f"argument {key!r} must not be empty")
    if len(value) > max_len:
        raise bad(f"argument {key!r} is longer than {max_len} characters")
    return value


def ident(args: Mapping[str, Any], key: str, *, required: bool = True, max_len: int = MAX_ID_CHARS) -> str | None:
    """An id (user, agent, run, memory, session): a string without control characters.

    Ids reach log lines and lock keys, so a newline (a forged log line) or a list (an
    unhashable key) is refused here, before anything else sees the value.
    """
    value = string(args, key, required=required, max_len=max_len)
    if value is not None and has_control_chars(value):
        raise bad(f"argument {key!r} must not contain control characters or line breaks")
    return value


def integer(args: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = args.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad(f"argument {key!r} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise bad(f"argument {key!r} must be between {low} and {high}, got {value}")
    return value


def number(args: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise bad(f"argument {key!r} must be a number, got {type(value).__name__}")
    if not low <= value <= high:
        raise bad(f"argument {key!r} must be between {low} and {high}, got {value}")
    return float(value)


def boolean(args: Mapping[str, Any], key: str, default: bool) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise bad(f"argument {key!r} must be true or false, got {type(value).__name__}")
    return value


def mapping(args: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"argument {key!r} must be a map, got {type(value).__name__}")
    return value


def scope(args: Mapping[str, Any]) -> dict[str, str]:
    """The scope ids given at the top level of ``args``; at least one is required."""
    found = {key: ident(args, key, required=False) for key in SCOPE_KEYS}
    found = {key: value for key, value in found.items() if value}
    if not found:
        raise OpError(Code.MISSING_SCOPE, "at least one of user_id, agent_id, run_id is required")
    return found  # type: ignore[return-value]


def filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """``filters`` with at least one scope id (mem0's rule for search and get_all)."""
    value = mapping(args, "filters") or {}
    if not any(isinstance(value.get(key), str) and value.get(key) for key in SCOPE_KEYS):
        raise OpError(Code.MISSING_SCOPE,
                      "filters must name at least one of user_id, agent_id, run_id, e.g. {'user_id': 'alice'}")
    for key in SCOPE_KEYS:
        if key in value and value[key] is not None:
            ident(value, key, required=False)
    return value


def messages(args: Mapping[str, Any]) -> str | list[dict[str, str]]:
    """``messages``: a non-empty text, one message map, or a list of them."""
    value = args.get("messages")
    if isinstance(value, str):
        if not value.strip():
            raise bad("argument 'messages' must not be empty")
        return value
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise bad("argument 'messages' must be a text or a non-empty list of {role, content} maps")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("role"), str) \
                or not isinstance(item.get("content"), str) or not item["content"].strip():
            raise bad(f"messages[{index}] must be a map with string 'role' and non-empty string 'content'")
    return value
