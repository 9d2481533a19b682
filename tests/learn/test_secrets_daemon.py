"""Planted secrets through every write path of a real daemon, then every byte under SIDECAR_HOME searched.

Explicit writes (``add`` with ``infer=false`` as ``memctl add`` and MCP ``save_memory`` send it, ``update``,
``import``, metadata) are refused with ``secret_detected``; text the daemon keeps on the side (session
files, transcript jobs, MEMORY.md hand edits, ``add(infer=true)`` conversations) is redacted. Afterwards
no file under SIDECAR_HOME (SQLite files and their WAL and journal files, session files, MEMORY.md, the
daemon's log) holds any planted value, while the daemon runs and after it stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, running_daemon, write_config
from sidecar.testing.planted import Planted, plant
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_shared.errors import SecretDetected
from sidecar_shared.markers import MANAGED_BEGIN

SEED = int(os.environ.get("SIDECAR_TEST_SEED") or random.SystemRandom().randrange(1 << 32))
USER = "plant"
ORDINARY = ("lives at 12 Baker Street", "my son is 7", "uses Python 3.12", "the dashboard runs on port 5001",
            "The password manager I use is KeePassXC")
MEMCTL = ["-c", "from sidecar_cli.main import main; main()"]


def leaks(home: Path, values: set[str]) -> dict[str, list[str]]:
    """``{value: [files holding its bytes]}`` over every file under ``home``."""
    found: dict[str, list[str]] = {}
    needles = {value: value.encode("utf-8") for value in values}
    for path in home.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:  # a WAL or temp file that vanished while we looked
            continue
        for value, needle in needles.items():
            if needle in data:
                found.setdefault(value, []).append(str(path.relative_to(home)))
    return found


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(SecretDetected) as caught:
        call(*args, **kwargs)
    assert caught.value.code == "secret_detected"
    return caught.value.message


def plant_explicit(daemon: DaemonProcess, rng: random.Random) -> list[Planted]:
    """add(infer=false) as text, as messages and in metadata; update; import: every one refused."""
    client, planted = daemon.client, []
    for batch in range(2):
        for item in plant(rng):
            message = refused(client.add, item.text, user_id=USER)
            assert item.kind.split("-")[0] in message or "secret" in message
            assert not any(value in message for value in item.values)
            planted.append(item)
    for item in plant(rng):
        refused(client.call, "add", {"messages": [{"role": "user", "content": "I like tea"},
                                                  {"role": "user", "content": item.text}], "user_id": USER})
        planted.append(item)
    for item in plant(rng)[:4]:
        refused(client.add, "I like oolong", user_id=USER, metadata={"note": item.text})
        planted.append(item)
    base = client.add("I drink green tea every morning", user_id=USER)["results"][0]["id"]
    for item in plant(rng):
        refused(client.update, base, text=item.text)
        planted.append(item)
    records = plant(rng)
    report = client.call("import", {"records": [{"memory": item.text, "user_id": USER} for item in records]})
    assert report["added"] == 0 and [e["code"] for e in report["errors"]] == ["secret_detected"] * len(records)
    assert client.get(base)["memory"] == "I drink green tea every morning"
    return planted + records


def plant_redacted(daemon: DaemonProcess, rng: random.Random, transcript: Path) -> list[Planted]:
    """add(infer=true), session.update, a transcript and MEMORY.md hand edits: redacted on the way in."""
    client = daemon.client
    conversation = plant(rng)
    reply = client.call("add", {"messages": [{"role": "user", "content": p.text} for p in conversation],
                                "infer": True, "user_id": USER})
    assert len(reply["verdicts"]) == len(conversation)

    session = plant(rng)
    queued = client.call("session.update", {"session_id": "planted", "user_id": USER,
                                            "messages": [{"role": "user", "content": p.text} for p in session]})
    assert queued["queued"] == len(session)
    wait_until(lambda: (lambda turns: turns["learned"] + turns["failed"] >= turns["queued"])(
        client.status()["ingest"]["session_turns"]), what="session turns judged")
    shown = client.call("session.show", {"session_id": "planted"})
    assert all("[REDACTED:" in m["content"] for m in shown["messages"])

    spoken = plant(rng)
    transcript.write_text("".join(json.dumps({"role": "user", "content": p.text, "session_id": "t1"}) + "\n"
                                  for p in spoken), encoding="utf-8")
    ingest = client.call("ingest", {"paths": [str(transcript)], "agent": "generic"})
    assert ingest["queued"] >= len(spoken) // 2  # candidate selection may skip some (a key block looks like code)
    wait_until(lambda: client.ingest_progress(ingest["job_ids"])["pending"] == 0, what="transcript jobs judged")

    edits = [p for p in plant(rng) if "\n" not in p.text]
    md = Path(next(f["path"] for f in client.status()["context"]["memory_md"]["files"]
                   if f["scope"] == {"user_id": USER}))
    wait_until(lambda: MANAGED_BEGIN in md.read_text(encoding="utf-8"), what="MEMORY.md rendered")
    text = md.read_text(encoding="utf-8")
    md.write_text(text.replace(MANAGED_BEGIN, MANAGED_BEGIN + "\n" + "".join(f"- {p.text}\n" for p in edits), 1),
                  encoding="utf-8")
    values = [v for p in edits for v in p.values]
    wait_until(lambda: not any(v in md.read_text(encoding="utf-8") for v in values) and
               md.read_text(encoding="utf-8").count("[REDACTED:") >= len(edits), what="MEMORY.md edits redacted")
    return conversation + session + spoken + edits


def plant_mcp(daemon: DaemonProcess, rng: random.Random) -> list[Planted]:
    """MCP ``save_memory`` (a separate client process): refused, the tool error names the kind only."""
    mcp = pytest.importorskip("mcp")
    from mcp.client.stdio import StdioServerParameters

    items = plant(rng)[:6]
    server = StdioServerParameters(command=sys.executable, args=[*MEMCTL, "mcp", "--agent", "planted"],
                                   env={"SIDECAR_HOME": str(daemon.home), "SIDECAR_USER": USER})

    async def scenario() -> None:
        async with mcp.Client(server, read_timeout_seconds=ready_limit()) as session:
            for item in items:
                result = await session.call_tool("save_memory", {"text": item.text})
                message = result.content[0].text
                assert result.is_error and "secret_detected" in message, message
                assert not any(value in message for value in item.values)

    asyncio.run(scenario())
    return items


@pytest.mark.slow
def test_no_planted_secret_reaches_any_file(isolated_home: Path, tmp_path: Path) -> None:
    print(f"SIDECAR_TEST_SEED={SEED}")
    rng = random.Random(SEED)
    write_config(isolated_home, f'user_id = "{USER}"\n[watch]\non = false\n')
    with running_daemon(isolated_home) as daemon:
        planted = plant_explicit(daemon, rng)
        planted += plant_redacted(daemon, rng, tmp_path / "chat.jsonl")
        planted += plant_mcp(daemon, rng)
        for fact in ORDINARY:  # durable facts with numbers are stored as they are
            assert daemon.client.add(fact, user_id=USER)["results"][0]["memory"] == fact
        values = {value for item in planted for value in item.values}
        assert len(values) >= 50 and len({item.kind for item in planted}) >= 12
        assert leaks(isolated_home, values) == {}
        # the scan does see inside the store's files: an ordinary memory is found there
        assert any("chroma" in path for path in leaks(isolated_home, {ORDINARY[0]}).get(ORDINARY[0], []))
    assert leaks(isolated_home, values) == {}
    print(f"{len(values)} planted values of {len({item.kind for item in planted})} kinds; 0 found on disk")
