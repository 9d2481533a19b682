"""Session files never hold a secret: each message is redacted before the file is written."""

from __future__ import annotations

from pathlib import Path

from sidecar.context.sessions import SessionManager


class JoiningSummariser:
    def summarise(self, previous: str, messages: list[dict[str, str]]) -> str:
        return " ".join([previous, *(m["content"] for m in messages)]).strip()


def test_messages_are_redacted_before_they_reach_the_file(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path / "sessions", JoiningSummariser(), max_history=2)
    for text in ("My Netflix login is jana.k@example.com / Banane!77", "我的支付宝支付密码是538261",
                 "Remember that my home alarm code is 258025", "lives at 12 Baker Street"):
        sessions.add_message("ana", "s1", "user", text)
    raw = b"".join(path.read_bytes() for path in (tmp_path / "sessions").rglob("*") if path.is_file())
    assert raw
    for value in ("Banane!77", "538261", "258025"):
        assert value.encode() not in raw
    session = sessions.load("ana", "s1")
    assert "[REDACTED:login-password]" in session.compressed_context  # folded into the summary, redacted
    assert [m["content"] for m in session.messages][-1] == "lives at 12 Baker Street"


def test_rewrite_saves_only_when_the_change_says_so(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path / "sessions", JoiningSummariser())
    sessions.add_message("ana", "s1", "user", "I like tea")
    before = sessions.path_for("ana", "s1").read_bytes()
    assert sessions.rewrite("ana", "s1", lambda session: False) is False
    assert sessions.path_for("ana", "s1").read_bytes() == before

    def change(session) -> bool:
        session.messages[0]["content"] = "I like green tea"
        return True

    assert sessions.rewrite("ana", "s1", change) is True
    assert sessions.load("ana", "s1").messages[0]["content"] == "I like green tea"
