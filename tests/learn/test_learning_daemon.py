"""A coding-agent transcript through the running daemon: project facts from tool output, no junk,
facts keyed by project for search and context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, running_daemon, short_home
from sidecar.testing.waiting import ready_limit, wait_until

MANIFEST = json.dumps({"name": "shop", "dependencies": {"next": "15.0.0", "drizzle-orm": "0.30"},
                       "scripts": {"test": "vitest run"}})


def transcript(path: Path, cwd: str) -> Path:
    base = {"sessionId": f"s-{path.stem}", "cwd": cwd}
    records = [
        {**base, "type": "user", "uuid": "u1", "message": {"role": "user", "content":
            "Implement ENG-1234\n\n```ts\nexport const Role = z.enum([\"observer\", \"member\"]),\n```\n"
            "git add schemas/role.ts && git commit -m wip\n2. Confirm ESM compliance across all files you have. 3"}},
        {**base, "type": "assistant", "uuid": "a1", "message": {"role": "assistant", "content": [
            {"type": "text", "text": "I'll read the manifest first."},
            {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": f"{cwd}/package.json"}}]}},
        {**base, "type": "user", "uuid": "u2", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": MANIFEST}]}},
        {**base, "type": "assistant", "uuid": "a2", "message": {"role": "assistant", "content":
            "Let me run the tests now. Maybe the build uses webpack."}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    home = short_home("sld-")
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('user_id = "dana"\n[watch]\non = false\n')
    with running_daemon(home) as running:
        yield running


def test_a_transcript_teaches_project_facts_and_nothing_else(daemon: DaemonProcess, tmp_path: Path) -> None:
    done = daemon.client.ingest([str(transcript(tmp_path / "one.jsonl", "/home/dana/code/shop"))],
                                agent="claude-code", wait=True, timeout=ready_limit())
    assert done["pending"] == 0
    rows = daemon.client.get_all(filters={"user_id": "dana"})["results"]
    texts = sorted(r["memory"] for r in rows)
    assert texts == ["Project shop is a Next.js app", "Project shop scripts: `test`: vitest run",
                     "Project shop uses Drizzle ORM for its database"]
    assert {r["metadata"]["project"] for r in rows} == {"shop"}
    assert {r["metadata"]["kind"] for r in rows} == {"project_convention"}


def test_search_filters_by_project_and_context_keeps_other_projects_out(daemon: DaemonProcess,
                                                                       tmp_path: Path) -> None:
    daemon.client.ingest([str(transcript(tmp_path / "two.jsonl", "/home/dana/code/blog"))],
                         agent="claude-code", wait=True, timeout=ready_limit())
    found = daemon.client.search("which web framework?", filters={"user_id": "dana", "project": "blog"})
    assert found["results"] and {r["metadata"]["project"] for r in found["results"]} == {"blog"}
    daemon.client.add("Prefers short answers with one example", user_id="dana", infer=False)
    workspace = tmp_path / "blog"
    workspace.mkdir()

    def context_text() -> str:
        return daemon.client.call("context", {"query": "which framework does this project use?", "user_id": "dana",
                                              "workspace": str(workspace), "budget_tokens": 2000})["text"]

    text = wait_until(lambda: (lambda t: t if "short answers" in t else None)(context_text()),
                      what="MEMORY.md to hold the new memory")
    assert "Project blog" in text and "Project shop" not in text


def test_a_conversation_turn_keeps_its_speaker_its_words_and_its_past_events(daemon: DaemonProcess) -> None:
    said = "Yesterday I took the kids to the dinosaur museum, they loved the bones."
    reply = daemon.client.add([{"role": "user", "name": "Melanie", "content": said}], user_id="mel", infer=True,
                              metadata={"date": "8 May 2023"})
    added = [r for r in reply["results"] if r.get("event") == "ADD"]
    assert added, reply
    row = daemon.client.get(str(added[0]["id"]))
    assert "Melanie" in row["memory"] and row["metadata"]["utterance"] == f"Melanie: {said}"
    # "bones" is in what was said, not necessarily in the fact: the keyword channel still finds it
    found = daemon.client.search("bones", filters={"user_id": "mel"})["results"]
    assert found and str(found[0]["id"]) == str(added[0]["id"])
