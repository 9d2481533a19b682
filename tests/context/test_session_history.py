"""Per-session history with folding into a rolling summary."""

from __future__ import annotations

import json
from pathlib import Path

from sidecar.context.sessions import MAX_HISTORY, SessionManager, session_file_name

U = "ann"


class RecordingSummariser:
    """Joins the folded contents so the test can see exactly what was folded."""

    def __init__(self, fail_times: int = 0) -> None:
        self.fail_times = fail_times
        self.calls: list[tuple[str, list[dict]]] = []

    def summarise(self, previous: str, messages: list[dict]) -> str:
        self.calls.append((previous, messages))
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("model unavailable")
        return " | ".join(filter(None, [previous, *(m["content"] for m in messages)]))


def test_fold_past_max_history_puts_summary_in_its_own_system_message(tmp_path: Path) -> None:
    summariser = RecordingSummariser()
    sessions = SessionManager(tmp_path, summariser)
    assert MAX_HISTORY == 20
    for i in range(20):
        sessions.add_message(U, "s1", "user" if i % 2 == 0 else "assistant", f"m{i}")
    assert summariser.calls == [] and len(sessions.load(U, "s1").messages) == 20

    session = sessions.add_message(U, "s1", "user", "m20")
    assert session.folds == 1
    assert session.compressed_context == " | ".join(f"m{i}" for i in range(10))
    assert [m["content"] for m in session.messages] == [f"m{i}" for i in range(10, 21)]
    assert summariser.calls[0][1][0] == {"role": "user", "content": "m0"}

    llm = sessions.get_messages_for_llm(U, "s1")
    assert llm[0]["role"] == "system" and llm[0]["content"].endswith(session.compressed_context)
    assert llm[1:] == [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(10, 21)]


def test_second_fold_includes_previous_summary(tmp_path: Path) -> None:
    summariser = RecordingSummariser()
    sessions = SessionManager(tmp_path, summariser, max_history=4)
    for i in range(7):
        sessions.add_message(U, "s", "user", f"m{i}")
    session = sessions.load(U, "s")
    assert session.folds == 2
    assert summariser.calls[1][0] == "m0 | m1"
    assert session.compressed_context == "m0 | m1 | m2 | m3"
    assert [m["content"] for m in session.messages] == ["m4", "m5", "m6"]


def test_failing_summariser_loses_nothing_and_retries(tmp_path: Path) -> None:
    summariser = RecordingSummariser(fail_times=2)
    sessions = SessionManager(tmp_path, summariser, max_history=4)
    for i in range(7):
        sessions.add_message(U, "s", "user", f"m{i}")
    session = sessions.load(U, "s")
    # Adds 5 and 6 failed to fold; add 7 retried and succeeded.
    assert len(summariser.calls) == 3 and session.failed_folds == 2 and session.folds == 1
    assert session.compressed_context == "m0 | m1 | m2"
    assert [m["content"] for m in session.messages] == ["m3", "m4", "m5", "m6"]
    summariser.fail_times = 1
    sessions.add_message(U, "s", "user", "m7")
    kept = [m["content"] for m in sessions.load(U, "s").messages]
    assert kept == ["m3", "m4", "m5", "m6", "m7"]
    assert sessions.get_messages_for_llm(U, "s")[0]["content"].endswith("m0 | m1 | m2")


def test_persistence_file_names_listing_and_clear(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path / "sessions", RecordingSummariser())
    sessions.add_message(U, "../../etc/passwd", "user", "hi")
    sessions.add_message(U, "a/b", "user", "x")
    sessions.add_message(U, "a_b", "user", "y")
    names = {p.name for p in (tmp_path / "sessions" / "users" / U).iterdir()}
    assert len(names) == 3 and all("/" not in n and not n.startswith(".") for n in names)
    assert session_file_name("a/b") != session_file_name("a_b")
    assert set(sessions.list_sessions(U)) == {"../../etc/passwd", "a/b", "a_b"}
    assert SessionManager(tmp_path / "sessions", RecordingSummariser()).load(U, "a/b").messages[0]["content"] == "x"
    assert sessions.get_messages_for_llm(U, "a/b") == [{"role": "user", "content": "x"}]
    assert sessions.clear(U, "a/b") is True and sessions.clear(U, "a/b") is False
    assert sessions.load(U, "a/b").messages == []


def test_corrupt_file_is_moved_aside_not_overwritten(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path, RecordingSummariser())
    path = sessions.path_for(U, "s")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    session = sessions.add_message(U, "s", "user", "fresh")
    assert [m["content"] for m in session.messages] == ["fresh"]
    corrupt = [p for p in path.parent.iterdir() if p.name.endswith(".corrupt")]
    assert len(corrupt) == 1 and corrupt[0].read_text() == "{not json"
    assert json.loads(path.read_text())["session_id"] == "s"
