"""A small chat agent with long-term memory: Ollama for the replies, the memory daemon for the facts.

Each turn:
1. search the user's memories for the message;
2. put the hits into the system prompt as "known facts about the user";
3. stream Ollama's reply to stdout token by token;
4. send the whole turn (what the user said and the reply) through the daemon's write gate, which
   keeps only the durable facts in it (``--verbatim`` stores the user's message as is instead).

Run: ``python -m sidecar_examples.demo_chat_agent --user-id alice`` (needs ``memctl serve`` and Ollama).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from sidecar_client.client import Client
from sidecar_shared.errors import SidecarError
from sidecar_shared.user import default_user_id

from . import ollama_stream as ollama

AGENT_ID = "demo-chat"
# the daemon's extraction calls use 4096 too: equal num_ctx keeps Ollama from reloading the model
INFER_NUM_CTX = 4096


def system_prompt(facts: list[str]) -> str:
    """The system prompt with the recalled facts pasted in."""
    known = "\n".join(f"- {fact}" for fact in facts) or "- (nothing yet)"
    return ("You are a helpful, concise assistant. Use the known facts about the user when they are relevant; "
            f"never invent new ones.\n\nKnown facts about the user:\n{known}")


def gate_uses_ollama(memory: Client) -> bool:
    """True when the daemon's judge is an Ollama model (then our chat calls size num_ctx as it does)."""
    try:
        return memory.status().get("ingest", {}).get("judge", {}).get("backend") == "ollama"
    except SidecarError:
        return False


def remember_turn(memory: Client, user_id: str, message: str, reply: str, *, verbatim: bool) -> list[str]:
    """Store the turn; returns the memories it produced.

    Through the gate (the default), the whole turn is judged, the user's message with the
    reply as its context and the reply on its own, and only the durable facts are kept:
    "I am allergic to shellfish" stays, "what should I cook?" and "Hello! I'll remember
    that." do not. ``verbatim`` stores the user's message as it is, without the gate.
    """
    if verbatim:
        result = memory.add(message, user_id=user_id, agent_id=AGENT_ID, infer=False)
    else:
        turn = [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        result = memory.add(turn, user_id=user_id, agent_id=AGENT_ID, infer=True)
    return [str(r.get("memory")) for r in result.get("results", []) if r.get("event") in ("ADD", "UPDATE")]


def chat_turn(memory: Client, url: str, model: str, user_id: str, message: str, *, top_k: int,
              verbatim: bool = False, sized: bool = False, kept: list[str] | None = None) -> Iterator[str]:
    """One turn: recall, stream the reply piece by piece, then remember the turn (what was kept goes to ``kept``)."""
    hits = memory.search(message, filters={"user_id": user_id}, top_k=top_k).get("results", [])
    messages = [{"role": "system", "content": system_prompt([h["memory"] for h in hits])},
                {"role": "user", "content": message}]
    options = {"num_ctx": INFER_NUM_CTX} if sized else None
    pieces: list[str] = []
    for piece in ollama.stream_chat(url, model, messages, options=options):
        pieces.append(piece)
        yield piece
    stored = remember_turn(memory, user_id, message, "".join(pieces), verbatim=verbatim)
    if kept is not None:
        kept.extend(stored)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Chat with a local model that remembers you.",
        epilog="After each reply the whole turn (your message and the reply) goes through the memory "
               "daemon's write gate, which keeps only durable facts (what you are, like, use, decided); "
               "questions, small talk and the assistant's own words are not stored. --verbatim stores "
               "your message as typed instead.")
    parser.add_argument("--user-id", default=None, help="whose memories (default: $SIDECAR_USER, the config's user_id, or login)")
    parser.add_argument("--chat-model", default=None, help="Ollama model (default: picked by free RAM)")
    parser.add_argument("--verbatim", action="store_true",
                        help="store each message of yours as typed, without the write gate")
    parser.add_argument("--show-kept", action="store_true", help="after each reply, print what was remembered")
    parser.add_argument("--infer", action="store_true", help=argparse.SUPPRESS)  # the default since issue 15
    parser.add_argument("--top-k", type=int, default=5, help="memories recalled per turn")
    parser.add_argument("--ollama-url", default=None, help="default: $OLLAMA_HOST or http://127.0.0.1:11434")
    options = parser.parse_args(argv)
    user_id = options.user_id or default_user_id()
    url = ollama.base_url(options.ollama_url)
    wanted = options.chat_model or ollama.candidate_models(ollama.free_ram_bytes())[0]
    try:
        model = ollama.pick_model(ollama.pulled_models(url), ollama.free_ram_bytes(), options.chat_model)
    except ollama.OllamaUnavailable as exc:
        print(f"{exc}\n{ollama.install_hint(wanted)}", file=sys.stderr)
        return 2
    if model is None:
        print(f"No suitable model is pulled in Ollama at {url}. Run: ollama pull {wanted}", file=sys.stderr)
        return 2
    memory = Client()
    sized = not options.verbatim and gate_uses_ollama(memory)
    print(f"[{model} · memories of {user_id} · empty line or Ctrl-D quits]", file=sys.stderr)
    for line in sys.stdin:
        message = line.strip()
        if not message:
            break
        kept: list[str] = []
        try:
            for piece in chat_turn(memory, url, model, user_id, message, top_k=options.top_k,
                                   verbatim=options.verbatim, sized=sized, kept=kept):
                sys.stdout.write(piece)
                sys.stdout.flush()
        except (SidecarError, ollama.OllamaUnavailable) as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write("\n")
        if options.show_kept:
            print(f"[remembered: {'; '.join(kept) if kept else 'nothing'}]", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
