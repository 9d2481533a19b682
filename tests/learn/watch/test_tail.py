"""Tail reading and scanning: offsets, partial lines, rotation, truncation, deletion, secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sidecar.learn.queue.job_queue import FileCursor, JobQueue
from sidecar.learn.watch.scanner import FileScanner
from sidecar.learn.watch.tail import read_new


def line(role: str, text: str) -> str:
    return json.dumps({"role": role, "content": text}) + "\n"


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    q = JobQueue(tmp_path / "queue.db")
    yield q
    q.close()


def texts(queue: JobQueue) -> list[str]:
    out = []
    while (job := queue.claim()) is not None:
        out.append(job.text)
        queue.complete(job.id, [], None)
    return out


def test_read_new_from_offset_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"abc\ndef\n")
    first = read_new(path, None)
    assert (first.status, first.data, first.start_offset) == ("data", b"abc\ndef\n", 0)
    cursor = FileCursor(str(path), "generic", first.inode, 8, 3, 8)
    assert read_new(path, cursor).status == "unchanged"
    with path.open("ab") as handle:
        handle.write(b"ghi\n")
    later = read_new(path, cursor)
    assert (later.data, later.start_offset, later.start_line, later.restart) == (b"ghi\n", 8, 3, None)


def test_read_new_detects_truncation_rotation_and_deletion(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"abc\n")
    inode = os.stat(path).st_ino
    assert read_new(path, FileCursor(str(path), "generic", inode, 100, 9, 100)).restart == "truncated"
    assert read_new(path, FileCursor(str(path), "generic", inode + 1, 4, 2, 4)).restart == "rotated"
    path.unlink()
    assert read_new(path, FileCursor(str(path), "generic", inode, 4, 2, 4)).status == "gone"


def test_scanner_appends_partial_lines_and_corrupt(tmp_path: Path, queue: JobQueue) -> None:
    path = tmp_path / "t.jsonl"
    scanner = FileScanner(queue)
    whole = line("user", "I live in Oslo with my two cats")
    path.write_text(whole + "{not json\n" + line("user", "I prefer tea over coffee")[:10])
    first = scanner.scan(path, "generic")
    assert (first.queued, first.corrupt) == (1, 1)
    assert queue.cursor(str(path)).offset == len(whole) + len("{not json\n")
    with path.open("a") as handle:
        handle.write(line("user", "I prefer tea over coffee")[10:])
    assert scanner.scan(path, "generic").queued == 1
    assert scanner.scan(path, "generic").queued == 0
    assert texts(queue) == ["I live in Oslo with my two cats", "I prefer tea over coffee"]
    assert queue.files()[0]["corrupt"] == 1


def test_scanner_restarts_after_truncation_and_rotation(tmp_path: Path, queue: JobQueue) -> None:
    path = tmp_path / "t.jsonl"
    scanner = FileScanner(queue)
    path.write_text(line("user", "I live in Oslo with my two cats") + line("user", "My sister is a nurse in Bergen"))
    scanner.scan(path, "generic")
    path.write_text(line("user", "I drive an old Volvo estate"))  # truncated in place
    assert scanner.scan(path, "generic").queued == 1
    fresh = tmp_path / "t.jsonl.new"  # written beside and renamed over: surely another inode
    fresh.write_text(line("user", "I drive an old Volvo estate") + line("user", "My dog is called Rex"))
    fresh.rename(path)
    rotated = scanner.scan(path, "generic")  # a new inode: the identical first line is a duplicate
    assert (rotated.queued, rotated.duplicates) == (1, 1)
    assert texts(queue)[-2:] == ["I drive an old Volvo estate", "My dog is called Rex"]


def test_scanner_records_deletion(tmp_path: Path, queue: JobQueue) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(line("user", "I live in Oslo with my two cats"))
    scanner = FileScanner(queue)
    scanner.scan(path, "generic")
    path.unlink()
    scanner.scan(path, "generic")
    assert queue.files()[0]["deleted"] == 1 and queue.cursor(str(path)).offset == 0


def test_secret_is_redacted_before_it_reaches_the_queue(tmp_path: Path, queue: JobQueue) -> None:
    secret = "ghp_" + "Zq8" * 12
    path = tmp_path / "t.jsonl"
    path.write_text(line("user", f"My GitHub token is {secret} and I live in Oslo"))
    FileScanner(queue).scan(path, "generic")
    assert secret not in texts(queue)[0]
    queue.close()
    for name in os.listdir(tmp_path):
        if name.startswith("queue.db"):
            assert secret.encode() not in (tmp_path / name).read_bytes()


def test_injected_context_never_becomes_a_job(tmp_path: Path, queue: JobQueue) -> None:
    path = tmp_path / "t.jsonl"
    injected = "<agent-memory-context>\nLives in Oslo\n</agent-memory-context>"
    path.write_text(line("user", injected) + line("user", f"{injected}\nI drive an old Volvo estate"))
    FileScanner(queue).scan(path, "generic")
    assert texts(queue) == ["I drive an old Volvo estate"]


def test_gemini_json_document_reread_whole(tmp_path: Path, queue: JobQueue) -> None:
    path = tmp_path / ".gemini" / "tmp" / "p" / "chats" / "session-1.json"
    path.parent.mkdir(parents=True)
    messages = [{"id": "a", "type": "user", "content": "I live in Oslo with my two cats"}]
    path.write_text(json.dumps({"sessionId": "s", "messages": messages}))
    scanner = FileScanner(queue)
    assert scanner.scan(path, "gemini").queued == 1
    messages.append({"id": "b", "type": "user", "content": "My sister is a nurse in Bergen"})
    path.write_text(json.dumps({"sessionId": "s", "messages": messages}, indent=1))
    assert scanner.scan(path, "gemini").queued == 1
    assert texts(queue) == ["I live in Oslo with my two cats", "My sister is a nurse in Bergen"]
