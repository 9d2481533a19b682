"""``secrets.scan`` / ``secrets.scrub`` on a store an older version filled with secrets, through a real daemon.

The old store is made in-process with the store itself (which, like earlier versions, takes any text),
then: the doctor warns, a dry run changes nothing, the scrub redacts rows (their history too, deleted
memories' history, keyword contexts, sessions, MEMORY.md), and after the next start (when Chroma's log
is rewritten) no file under SIDECAR_HOME holds a planted value, and the scrubbed memories still answer.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.config.settings import load_settings
from sidecar.context.sessions import Session, session_file_name
from sidecar.testing.daemons import running_daemon, write_config
from sidecar.testing.planted import plant
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_cli.scrub import check_secrets
from sidecar_shared.markers import MANAGED_BEGIN

SEED = int(os.environ.get("SIDECAR_TEST_SEED") or random.SystemRandom().randrange(1 << 32))
USER = "old"
MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")


def leaks(home: Path, values: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in home.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for value in values:
                if value.encode("utf-8") in data:
                    found.setdefault(value, []).append(str(path.relative_to(home)))
    return found


def fill_like_an_old_version(rng: random.Random) -> tuple[set[str], list[str]]:
    """Secrets in rows, metadata, history (updated and deleted rows), keyword contexts and a session file."""
    from sidecar.store.memory_store import MemoryStore

    settings = load_settings()
    store = MemoryStore(settings)
    values: set[str] = set()
    kept: list[str] = []
    try:
        for item in plant(rng):
            kept.append(store.add(item.text, user_id=USER)["results"][0]["id"])
            values.update(item.values)
        for item in plant(rng)[:4]:  # a run: each row's keyword context copies the previous row's text
            store.add(item.text, user_id=USER, run_id="chat-1")
            values.update(item.values)
        item = plant(rng)[0]
        store.add("I like oolong", user_id=USER, metadata={"note": item.text})
        values.update(item.values)
        for item in plant(rng)[:3]:  # gone from the store, still in mem0's history
            memory_id = store.add(item.text, user_id=USER)["results"][0]["id"]
            store.delete(memory_id)
            values.update(item.values)
        item = plant(rng)[1]
        memory_id = store.add(item.text, user_id=USER)["results"][0]["id"]
        store.update(memory_id, text="I changed my PIN last week")
        values.update(item.values)
    finally:
        store.close()
    item = plant(rng)[2]
    session = Session("old-chat", messages=[{"role": "user", "content": item.text, "created_at": "2025-01-01"}])
    folder = settings.paths.data_dir / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / session_file_name("old-chat")).write_text(json.dumps(session.__dict__), encoding="utf-8")
    values.update(item.values)
    return values, kept


@pytest.mark.slow
def test_scrub_removes_every_secret_an_older_version_stored(isolated_home: Path) -> None:
    print(f"SIDECAR_TEST_SEED={SEED}")
    write_config(isolated_home, f'user_id = "{USER}"\n[watch]\non = false\n')
    values, kept = fill_like_an_old_version(random.Random(SEED))
    assert set(leaks(isolated_home, values)) == values  # the old version left them all on disk

    with running_daemon(isolated_home) as daemon:
        client = daemon.client
        md = Path(next(f["path"] for f in client.status()["context"]["memory_md"]["files"]
                       if f["scope"] == {"user_id": USER}))
        wait_until(lambda: MANAGED_BEGIN in md.read_text(encoding="utf-8"), what="MEMORY.md rendered")

        warned = check_secrets(daemon.paths, client.status())
        assert warned.status == "warn" and "memctl scrub-secrets" in warned.fix

        dry = subprocess.run([MEMCTL, "scrub-secrets", "--dry-run", "--json"], env=daemon.env, capture_output=True,
                             text=True, timeout=ready_limit())
        assert dry.returncode == 0, dry.stderr
        scan = json.loads(dry.stdout)
        assert not any(value in dry.stdout for value in values)  # reports name kinds and places only
        assert scan["found"]["memories"] == len(kept) + 4 + 1
        assert scan["found"]["history"] > scan["found"]["memories"] and scan["found"]["sessions"] == 1
        assert scan["found"]["keyword"] >= 3 and scan["found"]["memory_md"] > 0
        assert {"card-number", "pin", "security-answer", "login-password"} <= set(scan["kinds"])
        assert set(leaks(isolated_home, values)) == values  # a dry run changes nothing

        report = client.call("secrets.scrub", {}, timeout=ready_limit())
        assert report["found"]["memories"] == scan["found"]["memories"] and report["restart_needed"]
        assert report["remaining"] == []
        for memory_id in kept:
            row = client.get(memory_id)
            assert "[REDACTED:" in row["memory"]
            history = json.dumps(client.call("history", {"memory_id": memory_id}))
            assert not any(value in history for value in values) and "[REDACTED:" in history
        shown = client.call("session.show", {"session_id": "old-chat"})
        assert "[REDACTED:" in shown["messages"][0]["content"]
        assert not any(value in md.read_text(encoding="utf-8") for value in values)
        again = client.call("secrets.scan", {})
        assert again["total"] == 0 and again["restart_needed"]
        assert check_secrets(daemon.paths, client.status()).fix.startswith("memctl service restart")
        left = leaks(isolated_home, values)
        assert left and all(path in ("data/store/chroma/chroma.sqlite3", "data/store/chroma/chroma.sqlite3-wal")
                            for paths in left.values() for path in paths)

    with running_daemon(isolated_home) as daemon:  # the start rewrites Chroma's log
        assert not daemon.client.call("secrets.scan", {})["restart_needed"]
        assert check_secrets(daemon.paths, daemon.client.status()).status == "ok"
        hits = daemon.client.search("which card do I use for hotel bookings?", filters={"user_id": USER})
        assert hits["results"] and all(r["id"] for r in hits["results"])
        # the doctor's cached answer stands until the detector changes; a full scan still looks
        planted = daemon.paths.data_dir / "sessions" / "x.session.json.1.corrupt"
        planted.write_text("my PIN is 99001122", encoding="utf-8")
        cached = daemon.client.call("secrets.scan", {"cached": True})
        assert cached["cached"] and cached["total"] == 0
        assert daemon.client.call("secrets.scan", {})["found"]["sessions"] == 1
        planted.unlink()
    assert leaks(isolated_home, values) == {}
