"""Derived files heal at start, through real daemons: keyword.db and queue.db damaged, deleted or out of step.

And what cannot heal stops the start with one line and exit 78: a damaged store
file, a store whose upgrade was interrupted.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, daemon_env, running_daemon, write_config
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_shared import exitcodes

FACTS = ["Keeps three axolotls named Ping, Pong and Zoltan", "Drives a green Volvo estate",
         "Works on the billing service", "Plays the cello on Sundays"]


def store_dir(home: Path) -> Path:
    return home / "data" / "store"


def keyword_rows(home: Path) -> dict[str, str]:
    with closing(sqlite3.connect(f"file:{store_dir(home) / 'keyword.db'}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT r.memory_id, f.text FROM keyword_rows r JOIN keyword_fts f ON f.rowid = r.rowid"))


def keyword_hits(daemon: DaemonProcess, query: str) -> list[str]:
    found = daemon.client.call("search", {"query": query, "filters": {"user_id": "ana"}, "top_k": 5})["results"]
    return [r["memory"] for r in found if (r.get("score_details") or {}).get("keyword")]


def counts(daemon: DaemonProcess) -> dict[str, int] | None:
    return (daemon.client.status().get("admin") or {}).get("counts", {}) and \
        daemon.client.status()["admin"]["counts"]["by_user"]


def run_daemon(home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sidecar"], env=daemon_env(home), capture_output=True, text=True,
                          timeout=ready_limit(), stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_keyword_index_zeroed_deleted_or_out_of_step_is_rebuilt_from_the_store(isolated_home: Path) -> None:
    with running_daemon(isolated_home) as daemon:
        daemon.client.call("add", {"messages": [{"role": "user", "content": f} for f in FACTS], "user_id": "ana"})
        daemon.client.call("add", {"messages": "Bo prefers tea", "user_id": "bo"})
        original = keyword_rows(isolated_home)
    keyword_db = store_dir(isolated_home) / "keyword.db"

    keyword_db.write_bytes(b"\0" * keyword_db.stat().st_size)
    with running_daemon(isolated_home) as daemon:
        log = daemon.log()
        assert "keyword.db is damaged" in log and "kept as keyword.db.corrupt-" in log
        assert "5 missing" in log  # rebuilt from the store, with a log line
        assert keyword_rows(isolated_home) == original
        assert keyword_hits(daemon, "axolotls") == [FACTS[0]]
        assert wait_until(lambda: counts(daemon), what="the store counts") == {"ana": 4, "bo": 1}
    assert len(list(keyword_db.parent.glob("keyword.db.corrupt-*"))) == 1

    for suffix in ("", "-wal", "-shm"):
        keyword_db.with_name(keyword_db.name + suffix).unlink(missing_ok=True)
    with running_daemon(isolated_home) as daemon:
        assert "5 missing" in daemon.log() and keyword_rows(isolated_home) == original

    # a crash between the store's write and the index's: same row count, another text
    (volvo,) = [mid for mid, text in original.items() if "Volvo" in text]
    with closing(sqlite3.connect(keyword_db)) as db, db:
        rowid = db.execute("SELECT rowid FROM keyword_rows WHERE memory_id=?", (volvo,)).fetchone()[0]
        db.execute("DELETE FROM keyword_fts WHERE rowid=?", (rowid,))
        db.execute("INSERT INTO keyword_fts(rowid, text, context) VALUES(?, 'Drives a red Saab', '')", (rowid,))
    with running_daemon(isolated_home) as daemon:
        assert "1 changed" in daemon.log()
        assert keyword_rows(isolated_home) == original
        assert keyword_hits(daemon, "Saab") == [] and keyword_hits(daemon, "Volvo") == [FACTS[1]]


def generic(text: str) -> str:
    return json.dumps({"role": "user", "content": text, "session_id": "g1"}) + "\n"


@pytest.mark.slow
def test_a_damaged_queue_is_set_aside_and_reading_again_adds_nothing_twice(isolated_home: Path,
                                                                              tmp_path: Path) -> None:
    write_config(isolated_home, 'user_id = "ana"\n[watch]\non = false\n')
    transcript = tmp_path / "chat.jsonl"
    transcript.write_text("".join(generic(t) for t in (
        "I live in Tromsø with my partner.", "My daughter studies marine biology in Bergen.",
        "I prefer pytest over unittest for every project.")))
    with running_daemon(isolated_home) as daemon:
        first = daemon.client.ingest([str(transcript)], agent="generic", wait=True, timeout=ready_limit())
        assert first["pending"] == 0 and first["added"] >= 2
        learned = daemon.client.call("get_all", {"filters": {"user_id": "ana"}})["results"]
        daemon.client.call("delete", {"memory_id": learned[0]["id"]})  # the user deletes one of them
    queue_db = isolated_home / "data" / "ingest" / "queue.db"
    queue_db.write_bytes(b"garbage, not a database " * 400)
    with running_daemon(isolated_home) as daemon:
        assert "queue.db is damaged" in daemon.log()
        dead = daemon.client.status()["ingest"]["dead_letter"]
        assert dead["recovered_from"].startswith("queue.db.corrupt-") and dead["count"] == 0
        again = daemon.client.ingest([str(transcript)], agent="generic", wait=True, timeout=ready_limit())
        assert again["queued"] == 3 and again["pending"] == 0  # the new queue reads the file from its start
        assert again["added"] == again["updated"] == 0  # ...but what was learned before is not learned again
        after = daemon.client.call("get_all", {"filters": {"user_id": "ana"}})["results"]
        assert sorted(m["id"] for m in after) == sorted(m["id"] for m in learned[1:])
        assert daemon.client.status()["ingest"]["worker"]["skipped"] >= len(learned)


@pytest.mark.slow
def test_store_trouble_that_cannot_heal_is_one_line_and_exit_78(isolated_home: Path) -> None:
    with running_daemon(isolated_home) as daemon:
        daemon.client.call("add", {"messages": "Keeps bees", "user_id": "ana"})
    meta_path = store_dir(isolated_home) / "store.json"
    meta = json.loads(meta_path.read_text())
    assert meta["chromadb"] and meta["mem0ai"] and "migrating" not in meta

    # another chromadb opened it last: the store is copied before this one migrates it
    meta_path.write_text(json.dumps({**meta, "chromadb": "0.4.24"}))
    with running_daemon(isolated_home) as daemon:
        assert "backed up to" in daemon.log()
        assert daemon.client.call("get_all", {"filters": {"user_id": "ana"}})["results"][0]["memory"] == "Keeps bees"
    (backup,) = (isolated_home / "data" / "backups").glob("store-*")
    assert (backup / "chroma" / "chroma.sqlite3").is_file() and json.loads((backup / "store.json").read_text())[
        "chromadb"] == "0.4.24"
    assert "migrating" not in json.loads(meta_path.read_text())

    # a daemon that died mid-migration leaves the marker: the next one refuses and says what to do
    meta_path.write_text(json.dumps({**meta, "migrating": {"from": {"chromadb": "0.4.24"}, "to": {},
                                                           "backup": str(backup)}}))
    result = run_daemon(isolated_home)
    assert result.returncode == exitcodes.CONFIG
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert "half-migrated" in line and str(backup) in line and "chromadb==0.4.24" in line
    from sidecar_cli.doctor import check_store
    from sidecar_shared.paths import app_paths

    check = check_store(app_paths(daemon_env(isolated_home)), None, {})
    assert check.status == "fail" and str(backup) in check.fix
    meta_path.write_text(json.dumps(meta))

    # a damaged store file is not derived data: refuse, one line, no traceback
    chroma = store_dir(isolated_home) / "chroma" / "chroma.sqlite3"
    chroma.write_bytes(b"\0" * chroma.stat().st_size)
    result = run_daemon(isolated_home)
    assert result.returncode == exitcodes.CONFIG
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert "could not open the store" in line and "Traceback" not in result.stderr
