"""kill -9 at random points of updates and deletes: after a restart the keyword index and Chroma agree by content.

Every write changes Chroma first and the keyword index second; the daemon is killed
while a pipelined burst of updates, deletes and adds runs on its workers, so the
kill lands between the two writes of some of them. At each restart the index is
compared with the store row by row (``sidecar.store.keyword_sync``); this test then
compares them itself: the store through ``export``, the index by reading keyword.db.

``SIDECAR_KILL9_SEED`` replays a run (the seed is printed); ``SIDECAR_KILL9_ROUNDS``
sets the number of kills (default 4).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import msgpack
import pytest
import zmq

from sidecar.store.keyword_rows import row_digest
from sidecar.testing.daemons import DaemonProcess, start_daemon
from sidecar.testing.waiting import ready_limit

USERS = ("ana", "bo")
BURST = 60


def stored_digests(daemon: DaemonProcess) -> dict[str, str]:
    """``{id: digest}`` of every memory in Chroma, read through the daemon's export."""
    out: dict[str, str] = {}
    offset: int | None = 0
    while offset is not None:
        page = daemon.client.call("export", {"offset": offset, "limit": 500})
        for m in page["memories"]:
            out[m["id"]] = row_digest(m["memory"] or "", m.get("user_id"), m.get("agent_id"), m.get("run_id"))
        offset = page["next_offset"]
    return out


def indexed_digests(keyword_db: Path) -> dict[str, str]:
    """``{id: digest}`` of every row of the keyword index, read from its file."""
    with closing(sqlite3.connect(f"file:{keyword_db}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT r.memory_id, r.user_id, r.agent_id, r.run_id, f.text FROM keyword_rows r "
                          "LEFT JOIN keyword_fts f ON f.rowid = r.rowid").fetchall()
    return {mid: row_digest(text or "", user, agent, run) for mid, user, agent, run, text in rows}


def seed_memories(daemon: DaemonProcess, rng: random.Random) -> None:
    for user in USERS:
        for run in ("r1", "r2", None):
            scope: dict[str, Any] = {"user_id": user, **({"run_id": run} if run else {})}
            facts = [f"{user} fact {run} {n} {rng.randrange(10**6)}" for n in range(8)]
            daemon.client.call("add", {"messages": [{"role": "user", "content": f} for f in facts], **scope})


def burst(rng: random.Random, ids: list[str], round_no: int) -> list[dict[str, Any]]:
    """A random mix of updates, deletes and adds over the known memories."""
    frames = []
    for n in range(BURST):
        kind = rng.choices(("update", "delete", "add"), weights=(6, 3, 1))[0]
        if kind == "add" or not ids:
            user = rng.choice(USERS)
            frames.append({"op": "add", "args": {"messages": f"{user} added {round_no}-{n} {rng.randrange(10**6)}",
                                                 "user_id": user, "run_id": "r1"}})
        elif kind == "update":
            frames.append({"op": "update", "args": {"memory_id": rng.choice(ids),
                                                    "text": f"updated {round_no}-{n} {rng.randrange(10**6)}"}})
        else:
            frames.append({"op": "delete", "args": {"memory_id": rng.choice(ids)}})
    return frames


def kill_mid_burst(daemon: DaemonProcess, frames: list[dict[str, Any]], replies_before_kill: int) -> int:
    """Pipeline every frame, SIGKILL the daemon after ``replies_before_kill`` replies; returns replies seen."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(daemon.paths.endpoint)
    try:
        for n, frame in enumerate(frames):
            sock.send(msgpack.packb({"v": 1, "id": f"k{n}", **frame}))
        seen = 0
        while seen < replies_before_kill and sock.poll(int(ready_limit() * 1000)):
            sock.recv()
            seen += 1
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait()
        return seen
    finally:
        sock.close()
        daemon.client.close()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_kill_9_during_updates_and_deletes_leaves_index_and_store_agreeing(isolated_home: Path) -> None:
    seed = int(os.environ.get("SIDECAR_KILL9_SEED") or random.SystemRandom().randrange(2**32))
    rounds = int(os.environ.get("SIDECAR_KILL9_ROUNDS") or 4)
    print(f"kill -9 test: SIDECAR_KILL9_SEED={seed} SIDECAR_KILL9_ROUNDS={rounds}")
    rng = random.Random(seed)
    keyword_db = isolated_home / "data" / "store" / "keyword.db"
    daemon = start_daemon(isolated_home)
    try:
        seed_memories(daemon, rng)
        repairs = []
        for round_no in range(rounds + 1):
            stored = stored_digests(daemon)
            assert stored and indexed_digests(keyword_db) == stored, \
                f"after kill {round_no}: the keyword index and the store disagree (seed {seed})"
            if round_no == rounds:
                break
            frames = burst(rng, sorted(stored), round_no)
            kill_at = rng.randrange(1, BURST // 2)  # the kill lands while the rest of the burst is in flight
            assert kill_mid_burst(daemon, frames, kill_at) == kill_at
            daemon = start_daemon(isolated_home)
            repairs += [line.split("store (", 1)[1].split(")")[0] for line in daemon.log().splitlines()
                        if "keyword index out of step" in line]
    finally:
        daemon.stop()
    print(f"kill -9 test: {rounds} kills; repairs at restart: {repairs or 'none needed'}")
