"""A small chat agent with long-term memory: Ollama for the replies, the memory daemon for the facts.

Each turn:
1. search the user's memories for the message;
2. put the hits into the system prompt as "known facts about the user";
3. stream Ollama's reply to stdout token by token;
4. send the turn back to memory (verbatim by default; ``--infer`` lets the daemon extract facts).

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


def chat_turn(memory: Client, url: str, model: str, user_id: str, message: str, *, top_k: int,
              infer: bool) -> Iterator[str]:
    """One turn: recall, stream the reply piece by piece, then remember the turn."""
    hits = memory.search(message, filters={"user_id": user_id}, top_k=top_k).get("results", [])
    messages = [{"role": "system", "content": system_prompt([h["memory"] for h in hits])},
                {"role": "user", "content": message}]
    options = {"num_ctx": INFER_NUM_CTX} if infer else None
    pieces: list[str] = []
    for piece in ollama.stream_chat(url, model, messages, options=options):
        pieces.append(piece)
        yield piece
    # verbatim mode keeps only what the user said: the assistant's words are not facts about the user
    turn = ([{"role": "user", "content": message}, {"role": "assistant", "content": "".join(pieces)}]
            if infer else message)
    memory.add(turn, user_id=user_id, agent_id=AGENT_ID, infer=infer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with a local model that remembers you.")
    parser.add_argument("--user-id", default=None, help="whose memories (default: $SIDECAR_USER, the config's user_id, or login)")
    parser.add_argument("--chat-model", default=None, help="Ollama model (default: picked by free RAM)")
    parser.add_argument("--infer", action="store_true", help="let the daemon extract facts from each turn")
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
    print(f"[{model} · memories of {user_id} · empty line or Ctrl-D quits]", file=sys.stderr)
    for line in sys.stdin:
        message = line.strip()
        if not message:
            break
        try:
            for piece in chat_turn(memory, url, model, user_id, message, top_k=options.top_k, infer=options.infer):
                sys.stdout.write(piece)
                sys.stdout.flush()
        except (SidecarError, ollama.OllamaUnavailable) as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
