"""The quickstart: one daemon, three separate client processes, two users.

1. starts the daemon (embedded default: no Ollama, no network, no API key);
2. process A stores a few of alice's preferences;
3. process B (another PID) recalls them for a question, with similarity scores;
4. process C (another PID) searches as bob and sees none of alice's memories;
5. stops the daemon with SIGTERM.

Run it with ``python -m sidecar_examples.quickstart`` (or ``./dev.sh demo``). It uses a
fresh ``SIDECAR_HOME`` in a temp folder unless ``--home`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sidecar_client.client import Client
from sidecar_client.paths import HOME_ENV

ALICE_PREFERENCES = [
    "I am allergic to peanuts",
    "I love spicy Thai and Sichuan food",
    "I am vegetarian and never eat meat",
    "I prefer quiet restaurants where we can talk",
]
QUESTION = "any ideas for dinner tonight?"


def store_step() -> dict:
    client = Client()
    client.delete_all(user_id="alice")
    rows = [client.add(text, user_id="alice")["results"][0] for text in ALICE_PREFERENCES]
    return {"pid": os.getpid(), "stored": [{"id": r["id"], "memory": r["memory"], "event": r["event"]} for r in rows]}


def recall_step(user: str) -> dict:
    client = Client()
    hits = client.search(QUESTION, filters={"user_id": user}, top_k=5)["results"]
    return {"pid": os.getpid(), "user": user, "query": QUESTION,
            "hits": [{"id": h["id"], "memory": h["memory"], "score": round(h["score"], 4),
                      "similarity": round((h.get("score_details") or {}).get("dense") or 0.0, 4)} for h in hits]}


def run_child(step: str, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "sidecar_examples.quickstart", "--step", step], env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="SIDECAR_HOME to use (default: a temp folder)")
    parser.add_argument("--step", choices=["store", "recall-alice", "recall-bob"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step == "store":
        print(json.dumps(store_step()))
        return 0
    if options.step:
        print(json.dumps(recall_step(options.step.split("-")[1])))
        return 0

    home = options.home or Path(tempfile.mkdtemp(prefix="sidecar-demo-"))
    env = {**os.environ, HOME_ENV: str(home)}
    print(f"SIDECAR_HOME={home}  (this script: PID {os.getpid()})")
    started = time.perf_counter()
    daemon = subprocess.Popen([sys.executable, "-m", "sidecar", "serve", "--log-level", "WARNING"], env=env)
    try:
        _wait_ready(env)
        print(f"daemon PID {daemon.pid} ready in {time.perf_counter() - started:.1f}s (embedded MiniLM, no network)\n")

        stored = run_child("store", env)
        print(f"[process A, PID {stored['pid']}] stored alice's preferences:")
        for row in stored["stored"]:
            print(f"   {row['event']:<4} {row['id'][:8]}  {row['memory']}")

        alice = run_child("recall-alice", env)
        print(f"\n[process B, PID {alice['pid']}] alice asks: {QUESTION!r}")
        for hit in alice["hits"]:
            print(f"   similarity {hit['similarity']:.3f}  hybrid score {hit['score']:.3f}  {hit['id'][:8]}  {hit['memory']}")

        bob = run_child("recall-bob", env)
        print(f"\n[process C, PID {bob['pid']}] bob asks the same: {len(bob['hits'])} memories visible")
        leaked = {h["id"] for h in bob["hits"]} & {r["id"] for r in stored["stored"]}
        pids = {stored["pid"], alice["pid"], bob["pid"], daemon.pid}
        ok = len(pids) == 4 and len(alice["hits"]) == len(ALICE_PREFERENCES) and not leaked
        print(f"\nfour distinct processes: {len(pids) == 4}; alice recalled all {len(ALICE_PREFERENCES)}: "
              f"{len(alice['hits']) == len(ALICE_PREFERENCES)}; bob saw none of alice's: {not leaked}")
    finally:
        daemon.terminate()
        code = daemon.wait(30)
        print(f"daemon stopped (SIGTERM) with exit code {code}")
    return 0 if ok and code == 0 else 1


def _wait_ready(env: dict[str, str], timeout: float = 60.0) -> None:
    from sidecar_client.client import daemon_listening
    from sidecar_client.paths import app_paths

    paths = app_paths(env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon_listening(paths.socket_path):
            Client(paths).ping()
            return
        time.sleep(0.05)
    raise SystemExit("the daemon did not start; run memctl serve to see why")


if __name__ == "__main__":
    sys.exit(main())
