"""Fuzz: 10,000 generated malformed frames against a real daemon; each gets a stable reply, none kills a worker.

The seed is printed (run with ``-s`` to see it) and can be fixed with ``SIDECAR_FUZZ_SEED``;
``SIDECAR_FUZZ_FRAMES`` changes the count. ``bench/fuzz.py`` runs 100,000.
"""

from __future__ import annotations

import os
import random

import pytest

from sidecar.testing.daemons import private_daemon
from sidecar.testing.fuzz_frames import run_fuzz
from sidecar.testing.waiting import ready_limit

FRAMES = int(os.environ.get("SIDECAR_FUZZ_FRAMES", "10000"))


@pytest.fixture(scope="module")
def fuzz_daemon():
    with private_daemon("[daemon]\nworkers = 2\n", prefix="scz-") as daemon:
        yield daemon


def test_every_malformed_frame_gets_a_stable_reply_and_no_worker_dies(fuzz_daemon):
    seed = int(os.environ.get("SIDECAR_FUZZ_SEED") or random.randrange(1 << 31))
    print(f"fuzz seed {seed} (SIDECAR_FUZZ_SEED={seed} repeats this run), {FRAMES} frames")
    outcome = run_fuzz(fuzz_daemon.paths.endpoint, FRAMES, seed, reply_timeout_s=ready_limit(), max_unanswered=1)
    print(f"codes: {outcome.codes}; {outcome.seconds:.1f}s")
    assert outcome.unanswered == 0, f"seed {seed}: the daemon stopped answering after frame {outcome.stalled_at}"
    assert outcome.sent == FRAMES
    assert outcome.bad_replies == [], f"seed {seed}"
    assert outcome.answered == FRAMES
    assert outcome.codes.get("internal", 0) == 0, f"seed {seed}"

    client = fuzz_daemon.client
    assert client.search("anything", filters={"user_id": "after-fuzz"}) == {"results": []}
    status = client.status()
    assert status["workers_replaced"] == 0 and status["workers_alive"] == status["workers"] == 2
    assert client.ping()["healthy"] is True
    assert fuzz_daemon.process.poll() is None
    forged = [line for line in fuzz_daemon.log().splitlines() if line.startswith("forged")]
    assert forged == [], f"seed {seed}: a request forged a log line"
