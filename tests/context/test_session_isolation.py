"""Short-term sessions belong to one user (issue 14, isolation), through a real daemon.

Before the fix sessions were keyed by session id only: bob, knowing alice's session id, could read her
history and summary (``session.show``, ``context``), append to it (``session.update``), clear it, and
``session.list`` listed everyone's sessions. Files of older versions (no user recorded) go to the
daemon's default user only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sidecar.context.sessions import SessionManager, session_file_name
from sidecar.ops.context_ops import session_key
from sidecar.testing.daemons import DaemonProcess, private_daemon, running_daemon, write_config
from sidecar.testing.waiting import ready_limit
from sidecar_shared.errors import NotFound
from sidecar_shared.paths import app_paths

OWNER = "owner"  # the daemons' default user
MARK = "quokkabridge"  # in every one of alice's messages, so any leak of her session shows it


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    config = f'user_id = "{OWNER}"\n[watch]\non = false\n[context]\nmax_history = 4\n'
    with private_daemon(config, prefix="ssi-") as running:
        yield running


def call(daemon: DaemonProcess, op: str, **args: Any) -> Any:
    return daemon.client.call(op, args, timeout=ready_limit())


def not_found(daemon: DaemonProcess, op: str, **args: Any) -> str:
    with pytest.raises(NotFound) as info:
        call(daemon, op, **args)
    return info.value.message


def test_another_users_session_id_reveals_and_changes_nothing(daemon: DaemonProcess) -> None:
    sid = "chat-42"
    for n in range(6):  # past max_history: part of it is folded into a summary
        call(daemon, "session.update", session_id=sid, user_id="alice",
             messages=[{"role": "user", "content": f"Planning the {MARK} walk, step {n}."}])
    hers = call(daemon, "session.show", session_id=sid, user_id="alice")
    assert hers["folds"] >= 1 and MARK in hers["compressed_context"] and MARK in hers["messages"][-1]["content"]

    for user in ("bob", None):  # bob, and the default user (no user_id)
        who = {"user_id": user} if user else {}
        # exactly the answer for a session id no one has
        assert not_found(daemon, "session.show", session_id=sid, **who) == f"no session with id {sid}"
        assert not_found(daemon, "session.show", session_id="chat-none", **who) == "no session with id chat-none"
        seen = call(daemon, "context", query="What walk am I planning?", session_id=sid, **who)
        assert MARK not in json.dumps(seen)
        assert not {"summary", "history"} & {layer["name"] for layer in seen["layers"]}
        assert sid not in [row["session_id"] for row in call(daemon, "session.list", **who)]
        assert call(daemon, "session.clear", session_id=sid, **who) == {"session_id": sid, "cleared": False}
    assert call(daemon, "session.list", user_id="bob") == []

    reply = call(daemon, "session.update", session_id=sid, user_id="bob",
                 messages=[{"role": "user", "content": "Bob's own note."}])
    assert reply["messages"] == 1 and not reply["folded"] and reply["compressed"] == ""
    his = call(daemon, "session.show", session_id=sid, user_id="bob")
    assert [m["content"] for m in his["messages"]] == ["Bob's own note."] and his["compressed_context"] == ""
    assert [(row["session_id"], row["messages"]) for row in call(daemon, "session.list", user_id="bob")] == [(sid, 1)]
    assert MARK not in json.dumps(call(daemon, "context", query="q", session_id=sid, user_id="bob"))
    assert call(daemon, "session.clear", session_id=sid, user_id="bob")["cleared"] is True

    assert call(daemon, "session.show", session_id=sid, user_id="alice") == hers  # not touched at all
    own = call(daemon, "context", query="What walk am I planning?", session_id=sid, user_id="alice")
    assert {"summary", "history"} <= {layer["name"] for layer in own["layers"]}
    assert MARK in own["messages"][-2]["content"] and MARK in own["text"]
    assert [row["session_id"] for row in call(daemon, "session.list", user_id="alice")] == [sid]


def test_user_ids_that_once_shared_a_folder_name_keep_apart(daemon: DaemonProcess) -> None:
    sid = "same-id"
    users = ["a_b", "a/b", "x", "../../x", "Carol", "carol", "carol."]
    for user in users:
        call(daemon, "session.update", session_id=sid, user_id=user,
             messages=[{"role": "user", "content": f"note of {user}"}])
    for user in users:
        shown = call(daemon, "session.show", session_id=sid, user_id=user)
        assert [m["content"] for m in shown["messages"]] == [f"note of {user}"]
    sessions = daemon.paths.data_dir / "sessions"
    assert all(sessions in path.resolve().parents for path in sessions.rglob("*"))


def test_session_writes_are_serialised_per_user_and_session() -> None:
    assert session_key({"session_id": "s"}, OWNER) == session_key({"session_id": "s", "user_id": OWNER}, OWNER)
    assert session_key({"session_id": "s", "user_id": "bob"}, OWNER) != session_key({"session_id": "s"}, OWNER)


def old_version_file(folder: Path, session_id: str, text: str, **extra: str) -> Path:
    """A session file as versions before issue 14 wrote it: named by session id, no user."""
    path = folder / session_file_name(session_id)
    path.write_text(json.dumps({"session_id": session_id, "messages": [
        {"role": "user", "content": text, "created_at": "2025-01-01T00:00:00+00:00"}],
        "compressed_context": f"summary of {text}", "folds": 1, "failed_folds": 0,
        "created_at": "2025-01-01T00:00:00+00:00", "updated_at": "2025-01-01T00:00:00+00:00", **extra}),
        encoding="utf-8")
    return path


def test_old_version_files_go_to_the_default_user_only(isolated_home: Path) -> None:
    write_config(isolated_home, f'user_id = "{OWNER}"\n[watch]\non = false\n')
    folder = app_paths().data_dir / "sessions"
    folder.mkdir(parents=True)
    shown_first = old_version_file(folder, "legacy-1", "old text one")
    listed_first = old_version_file(folder, "legacy-2", "old text two")
    recorded = old_version_file(folder, "legacy-3", "carol's old text", user_id="carol")
    with running_daemon(isolated_home) as daemon:
        for sid in ("legacy-1", "legacy-2", "legacy-3"):
            assert not_found(daemon, "session.show", session_id=sid, user_id="bob") == f"no session with id {sid}"
            assert "old text" not in json.dumps(call(daemon, "context", query="q", session_id=sid, user_id="bob"))
            assert call(daemon, "session.clear", session_id=sid, user_id="bob")["cleared"] is False
        assert call(daemon, "session.list", user_id="bob") == []
        call(daemon, "session.update", session_id="legacy-1", user_id="bob",
             messages=[{"role": "user", "content": "bob starts his own"}])
        assert shown_first.exists() and listed_first.exists() and recorded.exists()  # nothing adopted by bob

        old = call(daemon, "session.show", session_id="legacy-1")  # the default user, first use
        assert [m["content"] for m in old["messages"]] == ["old text one"]
        assert old["compressed_context"] == "summary of old text one" and old["user_id"] == OWNER
        assert not shown_first.exists()
        stored = [json.loads(path.read_text(encoding="utf-8")) for path in folder.rglob(session_file_name("legacy-1"))]
        assert sorted((data["user_id"], data["messages"][0]["content"]) for data in stored) == [
            ("bob", "bob starts his own"), (OWNER, "old text one")]  # moved, now recording its user

        assert not_found(daemon, "session.show", session_id="legacy-3") == "no session with id legacy-3"
        assert sorted(row["session_id"] for row in call(daemon, "session.list")) == ["legacy-1", "legacy-2"]
        assert not listed_first.exists()
        assert [m["content"] for m in call(daemon, "session.show", session_id="legacy-3", user_id="carol")[
            "messages"]] == ["carol's old text"]
        assert not recorded.exists()
        assert [m["content"] for m in call(daemon, "session.show", session_id="legacy-1", user_id="bob")[
            "messages"]] == ["bob starts his own"]


class KeepAll:
    def summarise(self, previous: str, messages: list[dict[str, str]]) -> str:
        return " ".join([previous, *(m["content"] for m in messages)]).strip()


def test_old_version_files_never_replace_a_session_and_without_a_default_user_stay_put(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path, KeepAll(), legacy_owner=OWNER)
    sessions.add_message(OWNER, "s", "user", "new text")
    old = old_version_file(tmp_path, "s", "old text")  # an older version ran again after the move
    assert sessions.list_sessions(OWNER) == ["s"] and old.exists()
    assert [m["content"] for m in sessions.load(OWNER, "s").messages] == ["new text"]

    unowned = SessionManager(tmp_path / "other", KeepAll())  # no default user: no one adopts them
    (tmp_path / "other").mkdir()
    kept = old_version_file(tmp_path / "other", "t", "old text")
    assert unowned.find(OWNER, "t") is None and unowned.list_sessions(OWNER) == [] and kept.exists()
    assert unowned.all_sessions() == []
