"""Applied writes on disk: survive a reopen, stay bounded, and a broken file is replaced."""

from __future__ import annotations

import msgpack

from sidecar.rpc.applied import AppliedWrites
from sidecar.rpc.dispatch import Op
from sidecar.rpc.execute import execute


def test_records_survive_a_reopen(tmp_path):
    log = AppliedWrites(tmp_path / "requests.db")
    log.record("r1", b"d1", "add", b"reply-1")
    log.close()
    again = AppliedWrites(tmp_path / "requests.db")
    assert again.lookup("r1") == (b"d1", b"reply-1")
    assert again.lookup("r2") is None
    assert (tmp_path / "requests.db").stat().st_mode & 0o777 == 0o600


def test_rows_and_reply_bytes_are_bounded(tmp_path):
    log = AppliedWrites(tmp_path / "requests.db", max_rows=300, max_reply_bytes=2000, max_total_bytes=100_000)
    for n in range(1000):
        log.record(f"r{n}", b"d", "add", b"z" * 1000)
    log.record("huge", b"d", "add", b"z" * 5000)
    figures = log.figures()
    assert figures["rows"] <= 300 + 256 and figures["reply_bytes"] <= 100_000 + 256 * 1000
    assert log.lookup("huge") == (b"d", None)  # too large to keep: remembered by digest only
    assert log.lookup("r999") == (b"d", b"z" * 1000)


def test_an_unreadable_file_is_moved_aside(tmp_path):
    path = tmp_path / "requests.db"
    path.write_bytes(b"this is not a database" * 100)
    log = AppliedWrites(path)
    log.record("r1", b"d", "add", b"ok")
    assert log.lookup("r1") == (b"d", b"ok")
    assert list(tmp_path.glob("requests.db.corrupt-*"))


def test_execute_does_not_run_a_write_twice_across_restarts(tmp_path):
    calls = []
    op = Op("session.update", lambda args: calls.append(args) or {"n": len(calls)}, write=True)
    first = AppliedWrites(tmp_path / "requests.db")
    reply, outcome = execute(op, "same-id", {"x": 1}, digest=b"digest", applied=first)
    first.close()
    restarted = AppliedWrites(tmp_path / "requests.db")
    again, outcome_again = execute(op, "same-id", {"x": 1}, digest=b"digest", applied=restarted)
    assert len(calls) == 1 and again == reply and outcome_again == b"replayed"
    other, code = execute(op, "same-id", {"x": 2}, digest=b"other", applied=restarted)
    assert len(calls) == 1 and code == b"id_reused"
    assert msgpack.unpackb(other)["error"]["code"] == "id_reused"
