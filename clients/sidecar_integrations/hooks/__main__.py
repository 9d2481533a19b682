"""``python -m sidecar_integrations.hooks <claude-code|codex> <Event>``: the command agents run.

Kept free of click and argparse: it starts on every prompt.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the agent's hook; unknown agents exit 0 with no output (fail open)."""
    args = sys.argv[1:] if argv is None else argv
    agent = args[0] if args else ""
    event = args[1] if len(args) > 1 else ""
    if agent == "claude-code":
        from sidecar_integrations.hooks.claude_code import run
    elif agent == "codex":
        from sidecar_integrations.hooks.codex import run
    else:
        print("usage: python -m sidecar_integrations.hooks <claude-code|codex> <Event>", file=sys.stderr)
        return 0
    return run(event)


if __name__ == "__main__":
    sys.exit(main())
