"""Agent hooks: thin commands Claude Code and Codex run on session and prompt events.

``python -m sidecar_integrations.hooks <claude-code|codex> <Event>`` reads the event
JSON on stdin and prints what the agent should inject. ``install`` merges the
hook entries into the agents' settings files.
"""

AGENTS = ("claude-code", "codex")
