"""The three sessions of the showcase, each run as its own process by :mod:`sidecar_examples.showcase`.

Every step prints what it does for the person watching and writes a JSON record
(PID, memory ids, scores, timings, reply tokens) to ``--result`` for the run log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sidecar_client.client import Client

from . import ollama_stream as ollama

QUESTION = "any ideas for somewhere to eat tonight?"
ALICE_PREFERENCES = [
    "I am vegetarian and never eat meat",
    "I love spicy Thai and Sichuan food",
    "I am allergic to peanuts",
    "I prefer quiet restaurants where we can talk",
]
BOB_MEMORY = "I am training for a marathon and want high-protein meals"
TOP_K = 5


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def messages_for(facts: list[str], question: str) -> list[dict[str, str]]:
    """The exact chat messages sent to the model (or shown, when there is no model)."""
    known = "\n".join(f"- {fact}" for fact in facts) or "- (nothing known)"
    system = ("You are a friendly assistant. Answer in two or three sentences and respect the known facts "
              f"about the user.\n\nKnown facts about the user:\n{known}")
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def store_step(user: str) -> dict[str, Any]:
    """Session 1: wipe the user, store the four preferences, list the rows."""
    client = Client()
    started = time.perf_counter()
    client.delete_all(user_id=user)
    wipe_ms = _ms(started)
    add_ms = []
    for sentence in ALICE_PREFERENCES:
        t0 = time.perf_counter()
        client.add(sentence, user_id=user, agent_id="showcase")
        add_ms.append(_ms(t0))
    rows = client.get_all(filters={"user_id": user}, top_k=100).get("results", [])
    print(f"[session 1 · PID {os.getpid()} · {user}] stored {len(rows)} memories:")
    for row in rows:
        print(f"   {row['id']}  {row['memory']}")
    return {"step": "store", "pid": os.getpid(), "user": user,
            "rows": [{"id": r["id"], "memory": r["memory"], "created_at": r.get("created_at")} for r in rows],
            "timings_ms": {"wipe": wipe_ms, "adds": add_ms, "total": _ms(started)}}


def ask_step(user: str, plant: str | None, model: str | None, url: str | None, number: int = 2) -> dict[str, Any]:
    """Sessions 2 and 3: (optionally plant one memory), recall for the question, answer or show the prompt."""
    client = Client()
    record: dict[str, Any] = {"step": "ask", "pid": os.getpid(), "user": user, "query": QUESTION}
    tag = f"[session {number} · PID {os.getpid()} · {user}]"
    if plant:
        client.delete_all(user_id=user)
        planted = client.add(plant, user_id=user, agent_id="showcase")["results"][0]
        record["planted"] = {"id": planted["id"], "memory": planted["memory"]}
        print(f"{tag} planted {planted['id']}  {planted['memory']}")
    started = time.perf_counter()
    hits = client.search(QUESTION, filters={"user_id": user}, top_k=TOP_K).get("results", [])
    record["search_ms"] = _ms(started)
    record["trace"] = [{"rank": i + 1, "id": h["id"], "memory": h["memory"], "score": round(float(h["score"]), 6),
                        "similarity": round(float((h.get("score_details") or {}).get("dense") or 0.0), 6),
                        "user_id": h.get("user_id")} for i, h in enumerate(hits)]
    print(f"{tag} asks {QUESTION!r}; retrieval trace ({record['search_ms']} ms), ranked by the hybrid score "
          "(dense closeness and keyword matches, each scaled within this search):")
    for hit in record["trace"]:
        print(f"   #{hit['rank']} hybrid score {hit['score']:.4f}  dense closeness {hit['similarity']:.4f}"
              f"  {hit['id']}  {hit['memory']}")
    record["messages"] = messages_for([h["memory"] for h in hits], QUESTION)
    record["model"] = model
    if model and url:
        print(f"{tag} {model} replies: ", end="", flush=True)
        tokens: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        for piece in ollama.stream_chat(url, model, record["messages"]):
            tokens.append({"t_ms": _ms(t0), "text": piece})
            print(piece, end="", flush=True)
        print()
        record["reply_tokens"] = tokens
        record["reply"] = "".join(t["text"] for t in tokens)
        record["first_token_ms"] = tokens[0]["t_ms"] if tokens else None
        record["reply_ms"] = _ms(t0)
    else:
        record["reply"] = None
        print(f"{tag} no model available; the prompt that would be sent:")
        print(json.dumps(record["messages"], indent=2, ensure_ascii=False))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One showcase session (run by sidecar_examples.showcase).")
    parser.add_argument("--step", choices=["store", "ask"], required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--plant", default=None)
    parser.add_argument("--session", type=int, default=2, help="the session's number, for the printed tag")
    parser.add_argument("--model", default=None)
    parser.add_argument("--ollama-url", default=None)
    parser.add_argument("--result", type=Path, required=True)
    options = parser.parse_args(argv)
    if options.step == "store":
        record = store_step(options.user)
    else:
        record = ask_step(options.user, options.plant, options.model, options.ollama_url, options.session)
    options.result.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
