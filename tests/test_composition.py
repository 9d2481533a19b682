"""The composition root wires every part to what it uses: a durable fact said in a session
reaches the write gate and becomes a memory (it never did while parts looked each other up by name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, running_daemon, short_home
from sidecar.testing.waiting import wait_until


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    home = short_home("scp-")
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[watch]\non = false\n")
    with running_daemon(home) as running:
        yield running


def test_session_update_reaches_the_write_gate(daemon: DaemonProcess) -> None:
    client = daemon.client
    assert client.status()["context"]["gate"] == "connected"
    reply = client.call("session.update", {
        "session_id": "s-1", "user_id": "gina",
        "messages": [{"role": "user", "content": "I am severely allergic to peanuts."},
                     {"role": "assistant", "content": "Thanks, noted."}]})
    assert reply["queued"] == 2
    learned = wait_until(lambda: [m for m in client.get_all(filters={"user_id": "gina"})["results"]
                                  if "peanut" in m["memory"].lower()],
                         what="the session's fact to be learned")
    assert learned[0]["metadata"]["learned_from"] == "session"
    turns = wait_until(lambda: (s := client.status()["ingest"]["session_turns"])["learned"] == 2 and s,
                       what="both turns to be judged")
    assert turns["failed"] == 0 and turns["pending"] == 0


def test_the_daemon_answers_the_ops_of_every_part(daemon: DaemonProcess) -> None:
    from sidecar_shared.errors import RequestFailed

    with pytest.raises(RequestFailed) as unknown:
        daemon.client.call("no.such.op")
    listed = set(unknown.value.message.split("answers: ")[1].split(", "))
    assert {"ping", "status", "add", "search", "history", "ingest", "ingest.progress", "watch.status",
            "context", "session.update", "export", "import"} <= listed
