"""The context hub through a real daemon: MEMORY.md sync both ways, Direct/RAG
with the MD5 cache, session folding, prompt layers, and degradation.

The tests share one daemon (each uses its own user and session ids), except the one that
needs a daemon configured with a failing long-term store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon, running_daemon, write_config
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_shared.errors import NotFound, RequestFailed
from sidecar_shared.markers import CONTEXT_BEGIN, CONTEXT_END, MANAGED_BEGIN, MANAGED_END, strip_injected

THRESHOLD = 150  # tokens; small so a handful of memories crosses it
USER_PREAMBLE = "# My notes\n\nHand-written: call the plumber on Monday.\n\n"
USER_TRAILER = "\n## After the section\nstill mine\n"


def wait_for(predicate: Callable[[], Any], what: str) -> Any:
    """Poll ``predicate`` until it holds: MEMORY.md and the store follow each other after a debounce."""
    return wait_until(predicate, interval=0.1, what=what)


def memory_md(daemon: DaemonProcess, user: str) -> Path:
    return daemon.paths.data_dir / "memory" / user / "MEMORY.md"


def context_status(daemon: DaemonProcess) -> dict[str, Any]:
    return daemon.client.status()["context"]


@pytest.fixture(scope="module")
def ctx_daemon() -> Iterator[DaemonProcess]:
    with private_daemon(f"[context]\nthreshold_tokens = {THRESHOLD}\nmd_debounce_s = 0.2\n", prefix="sch-") as daemon:
        yield daemon


def test_user_text_survives_daemon_regenerations(ctx_daemon: DaemonProcess) -> None:
    client, user = ctx_daemon.client, "keep-text"
    path = memory_md(ctx_daemon, user)
    path.parent.mkdir(parents=True)
    path.write_text(USER_PREAMBLE + f"{MANAGED_BEGIN}\n{MANAGED_END}" + USER_TRAILER)
    ids = []
    for n in range(6):
        ids.append(client.add(f"Rotating fact number {n}", user_id=user)["results"][0]["id"])
        wait_for(lambda n=n: f"Rotating fact number {n}" in path.read_text(), what="render")
    client.delete(ids[0])
    wait_for(lambda: "Rotating fact number 0" not in path.read_text(), what="delete rendered")
    text = path.read_text()
    assert text.startswith(USER_PREAMBLE) and text.endswith(USER_TRAILER)
    # the count follows the write (and the saved copy of it) by a moment: wait for it, not for the file
    counted = wait_for(lambda: (f := {f["path"]: f for f in context_status(ctx_daemon)["memory_md"]["files"]}
                                [str(path)])["regenerations"] >= 7 and f, what="7 regenerations counted")
    assert counted["problem"] is None


def test_hand_edits_reach_store_and_history(ctx_daemon: DaemonProcess) -> None:
    client, user = ctx_daemon.client, "hand-edit"
    kept = client.add("I live in Lyon", user_id=user)["results"][0]["id"]
    doomed = client.add("I own a red bicycle", user_id=user)["results"][0]["id"]
    path = memory_md(ctx_daemon, user)
    wait_for(lambda: path.exists() and "red bicycle" in path.read_text(), what="render")
    text = path.read_text()
    text = text.replace("- I live in Lyon ", "- I live in Paris ")
    text = "\n".join(line for line in text.split("\n") if "red bicycle" not in line)
    text = text.replace(MANAGED_END, "- I speak Portuguese\nthis line is not a list item\n" + MANAGED_END)
    path.write_text(text)

    wait_for(lambda: client.get(kept)["memory"] == "I live in Paris", what="update applied")
    events = [(row["event"], row["old_memory"], row["new_memory"]) for row in client.history(kept)]
    assert ("UPDATE", "I live in Lyon", "I live in Paris") in events
    added = wait_for(lambda: [m for m in client.get_all(filters={"user_id": user})["results"]
                              if m["memory"] == "I speak Portuguese"], what="add applied")
    assert added[0]["metadata"]["source"] == "MEMORY.md"
    # A malformed line holds deletes back: nothing is lost on a typo.
    assert client.get(doomed) is not None
    status = next(f for f in context_status(ctx_daemon)["memory_md"]["files"] if f["path"] == str(path))
    assert [m["reason"] for m in status["malformed"]] == ["not a list item"]

    fixed = path.read_text().replace("this line is not a list item\n", "")
    path.write_text(fixed)
    wait_for(lambda: client.get(doomed) is None, what="delete applied once the typo is fixed")
    assert [row["event"] for row in client.history(doomed)][-1] == "DELETE"
    wait_for(lambda: "I speak Portuguese <!-- mem:" in path.read_text(), what="the added line gets its id marker")
    final = path.read_text()
    assert final.count("I speak Portuguese") == 1  # the re-render did not re-learn its own write


def test_direct_below_threshold_rag_above_with_md5_cache(ctx_daemon: DaemonProcess) -> None:
    client, user = ctx_daemon.client, "flip"
    client.add("I am allergic to peanuts", user_id=user)
    path = memory_md(ctx_daemon, user)
    wait_for(lambda: path.exists() and "peanuts" in path.read_text(), what="render")
    query = {"query": "What must I avoid eating?", "user_id": user}
    first = client.call("context", query)
    assert first["mode"] == "direct" and "allergic to peanuts" in first["messages"][0]["content"]
    before = context_status(ctx_daemon)
    for _ in range(5):
        assert client.call("context", query)["memories"] == first["memories"]
    after = context_status(ctx_daemon)
    assert after["cache_hits"] - before["cache_hits"] == 5
    assert after["cache_misses"] == before["cache_misses"]

    client.add([{"role": "user", "content": f"Service number {n} listens on port {9000 + n} in staging"}
                for n in range(12)], user_id=user)
    wait_for(lambda: client.call("context", query)["mode"] == "rag", what="rag mode")
    rag = client.call("context", query)
    assert 1 <= len(rag["memories"]) <= 8
    system = rag["messages"][0]["content"]
    assert "allergic to peanuts" in system and "[memory mode: rag]" in system
    assert len(rag["memories"][0]) == 36  # full store ids from search, not MEMORY.md short ids


def test_fold_at_twenty_and_summary_as_own_system_message(ctx_daemon: DaemonProcess) -> None:
    client, session, user = ctx_daemon.client, "fold-session", "nobody-here"
    for n in range(20):
        result = client.call("session.update", {"session_id": session, "user_id": user, "messages": [
            {"role": "user", "content": f"Note {n}: my favourite number is {n}."}]}, timeout=ready_limit())
        assert result["messages"] == n + 1 and not result["folded"]
    result = client.call("session.update", {"session_id": session, "user_id": user, "messages": [
        {"role": "assistant", "content": "Noted, thanks."}]}, timeout=ready_limit())
    assert result["folded"] and result["messages"] == 11 and "Note 0" in result["compressed"]

    context = client.call("context", {"query": "What numbers did I mention?", "session_id": session,
                                      "user_id": user})
    messages = context["messages"]
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith("Summary of the earlier")
    assert [m["content"] for m in messages[1:-1]][0] == "Note 10: my favourite number is 10."
    assert messages[-1] == {"role": "user", "content": "What numbers did I mention?"}
    assert [layer["name"] for layer in context["layers"]] == ["summary", "history"]
    assert context["text"].startswith(CONTEXT_BEGIN) and strip_injected(context["text"]) == ""

    shown = client.call("session.show", {"session_id": session, "user_id": user})
    assert shown["folds"] == 1 and len(shown["messages"]) == 11
    assert session in [row["session_id"] for row in client.call("session.list", {"user_id": user})]
    assert client.call("session.clear", {"session_id": session, "user_id": user})["cleared"] is True
    with pytest.raises(NotFound):
        client.call("session.show", {"session_id": session, "user_id": user})


def test_layer_order_truncation_and_budget(ctx_daemon: DaemonProcess, tmp_path: Path) -> None:
    client, user = ctx_daemon.client, "layers"
    client.add("I prefer short answers", user_id=user)
    wait_for(lambda: memory_md(ctx_daemon, user).exists(), what="render")
    workspace = tmp_path / "ws"
    (workspace / "skills" / "deploy").mkdir(parents=True)
    (workspace / "skills" / "deploy" / "SKILL.md").write_text("---\nname: deploy\ndescription: ships it\n---\n")
    (workspace / "AGENTS.md").write_text("AGENTS-LAYER")
    (workspace / "SOUL.md").write_text("SOUL-LAYER " + "x" * 25_000)
    (workspace / "USER.md").write_text("USER-LAYER")
    context = client.call("context", {"query": "hello", "user_id": user, "workspace": str(workspace)})
    names = [layer["name"] for layer in context["layers"]]
    assert names == ["skills", "soul", "user", "agents", "memory"]
    assert [layer["truncated"] for layer in context["layers"]] == [False, True, False, False, False]
    system = context["messages"][0]["content"]
    positions = [system.index(s) for s in ("deploy: ships it", "SOUL-LAYER", "USER-LAYER", "AGENTS-LAYER",
                                            "I prefer short answers")]
    assert positions == sorted(positions) and "[… truncated" in system
    assert system.rstrip().endswith(CONTEXT_END)

    for n in range(6):
        client.call("session.update", {"session_id": "budget", "user_id": user, "messages": [
            {"role": "user", "content": f"Message {n} " + "y" * 300}]})
    small = client.call("context", {"query": "q", "user_id": user, "session_id": "budget", "budget_tokens": 700})
    assert small["dropped_messages"] > 0 and small["tokens"] <= 700
    assert small["messages"][-2]["content"].startswith("Message 5")
    with pytest.raises(RequestFailed) as info:
        client.call("context", {"query": "q", "workspace": str(tmp_path / "missing")})
    assert info.value.code == "bad_request"


def test_dead_long_term_store_still_yields_session_context(isolated_home: Path) -> None:
    write_config(isolated_home, "[context]\nsimulate_longterm_failure = true\n")
    with running_daemon(isolated_home) as daemon:
        client = daemon.client
        client.add("I live in Lyon", user_id="dead")
        client.call("session.update", {"session_id": "s", "user_id": "dead", "messages": [
            {"role": "user", "content": "Let us plan the trip."}]})
        context = client.call("context", {"query": "where do I live?", "user_id": "dead", "session_id": "s"})
        assert context["mode"] == "degraded" and context["memories"] == []
        assert any("long-term search" in reason for reason in context["degraded"])
        assert context["messages"][-2:] == [{"role": "user", "content": "Let us plan the trip."},
                                            {"role": "user", "content": "where do I live?"}]
        assert client.status()["context"]["modes"] == {"degraded": 1}


def test_memctl_context_and_session_commands(ctx_daemon: DaemonProcess) -> None:
    from click.testing import CliRunner

    from sidecar_cli.main import cli

    runner = CliRunner(env={"SIDECAR_HOME": ctx_daemon.env["SIDECAR_HOME"]})
    ctx_daemon.client.call("session.update", {"session_id": "cli", "user_id": "cli-user", "messages": [
        {"role": "user", "content": "We are planning the Lisbon offsite."}]})
    shown = runner.invoke(cli, ["context", "Where is the offsite?", "--user", "cli-user", "--session", "cli"])
    assert shown.exit_code == 0, shown.output
    assert "We are planning the Lisbon offsite." in shown.output and "── [2] user" in shown.output
    listed = runner.invoke(cli, ["session", "list", "--json", "--user", "cli-user"])
    assert listed.exit_code == 0 and '"session_id": "cli"' in listed.output
    assert '"session_id": "cli"' not in runner.invoke(cli, ["session", "list", "--json"]).output  # another user's
    assert runner.invoke(cli, ["session", "clear", "cli", "--user", "cli-user"]).exit_code == 0
    missing = runner.invoke(cli, ["session", "show", "cli", "--user", "cli-user"])
    assert missing.exit_code != 0 and "no session with id cli" in missing.output
