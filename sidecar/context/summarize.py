"""Summarisers that fold old session messages into a rolling summary."""

from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from sidecar_shared.markers import strip_injected

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_PREFIXED = re.compile(r"^(\w[\w-]*):\s+(.*)$")
MAX_SENTENCE_CHARS = 400
_MIN_SENTENCE_CHARS = 3


class Summariser(Protocol):
    """Folds ``messages`` (``{"role", "content"}`` dicts) into ``previous``.

    Raising leaves the session untouched; the fold is retried later.
    """

    def summarise(self, previous: str, messages: list[dict[str, Any]]) -> str:
        """The new summary covering ``previous`` and ``messages``."""
        ...


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split on ., ! or ? followed by space, and on newlines)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _clip(sentence: str) -> str:
    flat = " ".join(sentence.split())
    return flat if len(flat) <= MAX_SENTENCE_CHARS else flat[: MAX_SENTENCE_CHARS - 1] + "…"


class ExtractiveSummariser:
    """Keeps the highest-scoring sentences, no model needed.

    New sentences and the previous summary's lines compete in one pool ranked
    by ``score`` (the write gate's sentence scorer), so an old fact survives
    as long as it still ranks within ``max_sentences``/``max_chars``. Kept
    lines stay in their original order, each prefixed with its role.
    """

    def __init__(self, score: Callable[[str], float], max_sentences: int = 12, max_chars: int = 2000) -> None:
        if max_sentences < 1 or max_chars < 1:
            raise ValueError("max_sentences and max_chars must be positive")
        self._score = score
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    def summarise(self, previous: str, messages: list[dict[str, Any]]) -> str:
        """See :class:`Summariser`."""
        candidates: list[tuple[str, str]] = []  # (line as written, sentence to score)
        for line in previous.splitlines():
            line = line.strip()
            if line:
                prefixed = _PREFIXED.match(line)
                candidates.append((line, prefixed.group(2) if prefixed else line))
        for message in messages:
            role = str(message.get("role") or "note")
            # Our own injected context must not be summarised back into the session.
            for sentence in split_sentences(strip_injected(str(message.get("content") or ""))):
                sentence = _clip(sentence)
                if len(sentence) >= _MIN_SENTENCE_CHARS:
                    candidates.append((f"{role}: {sentence}", sentence))

        unique: list[tuple[int, str, float]] = []
        seen: set[str] = set()
        for position, (line, sentence) in enumerate(candidates):
            key = sentence.casefold()
            if key not in seen:
                seen.add(key)
                unique.append((position, line, float(self._score(sentence))))
        # Ties go to the newer sentence: it is more likely to still be relevant.
        ranked = sorted(unique, key=lambda item: (-item[2], -item[0]))
        chosen: list[tuple[int, str]] = []
        used = 0
        for position, line, _ in ranked:
            if len(chosen) >= self.max_sentences:
                break
            cost = len(line) + (1 if chosen else 0)
            if used + cost <= self.max_chars:
                chosen.append((position, line))
                used += cost
        return "\n".join(line for _, line in sorted(chosen))


_OLLAMA_INSTRUCTIONS = (
    "You maintain a running summary of a conversation. Merge the previous summary "
    "with the new messages into one concise summary of facts, decisions, open tasks "
    "and user preferences. Drop small talk. Reply with the summary only."
)


class OllamaSummariser:
    """Summarises with a chat model through an injected ``chat(messages) -> reply``
    callable (e.g. a local Ollama client), so no HTTP code lives here."""

    def __init__(self, chat: Callable[[list[dict[str, str]]], str], max_chars: int = 4000) -> None:
        self._chat = chat
        self.max_chars = max_chars

    def summarise(self, previous: str, messages: list[dict[str, Any]]) -> str:
        """See :class:`Summariser`; raises ``ValueError`` on an empty reply."""
        transcript = "\n".join(
            f"{m.get('role', 'note')}: {strip_injected(str(m.get('content') or '')).strip()}" for m in messages
        )
        prompt = f"Previous summary:\n{previous.strip() or '(none)'}\n\nNew messages:\n{transcript}"
        reply = self._chat([{"role": "system", "content": _OLLAMA_INSTRUCTIONS}, {"role": "user", "content": prompt}])
        summary = (reply or "").strip()
        if not summary:
            raise ValueError("summariser model returned an empty summary")
        return summary[: self.max_chars]

