"""The one door every write path passes: refuse or redact text that carries a secret.

Two policies, chosen per path (docs/secrets.md lists which path uses which):

* :func:`refuse` for what a user or agent asks to store explicitly (``add`` with
  ``infer=false``, ``update``, ``import``): nothing is stored and
  :class:`SecretDetected` (wire code ``secret_detected``) names the kinds found,
  never the value, so the caller can fix the text;
* :func:`scrub` for text the daemon keeps on the side (session files, transcript
  jobs, MEMORY.md hand edits, conversations given to ``add(infer=true)``): each
  secret is replaced by ``[REDACTED:<kind>]`` and the rest is kept.

Both run :func:`sidecar.learn.redact.redact`, so every path sees the same patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sidecar.learn.redact import redact

SECRET_DETECTED = "secret_detected"  # the wire code (sidecar_shared.protocol.Code.SECRET_DETECTED)


class SecretDetected(Exception):
    """Text that was to be stored holds a secret; ``kinds`` and ``where`` say which and where, never the value."""

    code = SECRET_DETECTED

    def __init__(self, kinds: Iterable[str], where: str = "text") -> None:
        self.kinds = tuple(sorted(set(kinds)))
        self.where = where
        super().__init__(
            f"{where} contains a secret ({', '.join(self.kinds)}); nothing was stored. "
            "Remove the value (keep secrets in a password manager) and try again")


def secret_kinds(text: str) -> tuple[str, ...]:
    """The kinds of secret in ``text`` (empty when there is none)."""
    return tuple(sorted({finding.kind for finding in redact(text).findings}))


def scrub(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``."""
    return redact(text).text


def refuse(text: str, where: str = "text") -> None:
    """Raise :class:`SecretDetected` if ``text`` holds a secret."""
    kinds = secret_kinds(text)
    if kinds:
        raise SecretDetected(kinds, where)


def refuse_messages(messages: str | list[dict[str, Any]] | dict[str, Any]) -> None:
    """:func:`refuse` over a text, one message, or a list of ``{role, content}`` messages."""
    if isinstance(messages, str):
        refuse(messages)
        return
    items = [messages] if isinstance(messages, dict) else messages
    for index, message in enumerate(items):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            refuse(content, f"messages[{index}].content")


def refuse_metadata(metadata: Mapping[str, Any] | None) -> None:
    """:func:`refuse` over every string value of ``metadata`` (and strings in list values)."""
    for key, value in (metadata or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                refuse(item, f"metadata.{key}")


def scrub_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``metadata`` with every string value (and string in a list value) scrubbed; None stays None."""
    if metadata is None:
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return {key: clean(value) for key, value in metadata.items()}
