"""``Memory``: the client with mem0's defaults, for code moving from ``mem0.Memory``.

mem0's ``Memory.add`` defaults to ``infer=True``: an LLM keeps the facts worth keeping
and the assistant's "Hello Alex! I'll remember that." is not stored. :class:`Client`
defaults to ``infer=False`` (verbatim, for tools that already chose what to store).
``Memory.add`` defaults to ``infer=True``: the daemon's write gate (judge, reconcile)
decides what a conversation teaches, so mem0's canonical example stores the fact only.
"""

from __future__ import annotations

from typing import Any

from sidecar_client.client import Client


class Memory(Client):
    """A :class:`Client` whose :meth:`add` defaults to ``infer=True``, like ``mem0.Memory``."""

    def add(self, messages: str | dict | list[dict], *, user_id: str | None = None,
            agent_id: str | None = None, run_id: str | None = None,
            metadata: dict[str, Any] | None = None, infer: bool = True) -> dict[str, Any]:
        """Store what ``messages`` teach; with ``infer=True`` (default) through the write gate, as mem0 does."""
        return super().add(messages, user_id=user_id, agent_id=agent_id, run_id=run_id, metadata=metadata,
                           infer=infer)
