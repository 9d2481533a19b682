"""memctl export / import through real daemons: a store moved whole, bad lines reported by number.

The export test starts its own source daemon (it exports the whole store, so it must hold only what
the test wrote); imports go into the module's shared daemon, where every test has its own users.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sidecar.testing.daemons import running_daemon
from sidecar.testing.waiting import ready_limit
from sidecar_shared import exitcodes

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
IMPORTED_KEYS = {"imported_from", "imported_created_at", "imported_updated_at"}
QUERIES = [("what should I cook?", {"user_id": "alice"}), ("which editor?", {"user_id": "bob"}),
           ("pets at home", {"agent_id": "codex"})]
EXPORTED_USERS = {"alice", "bob"}  # nobody else in the shared daemon uses these users or the codex agent


def memctl(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([MEMCTL, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=ready_limit())


def comparable(record: dict) -> tuple:
    metadata = {k: v for k, v in record["metadata"].items() if k not in IMPORTED_KEYS}
    return (record["memory"], record["user_id"], record["agent_id"], record["run_id"],
            json.dumps(metadata, sort_keys=True))


def seed(client) -> str:
    client.add("I am allergic to peanuts", user_id="alice", metadata={"kind": "health", "confidence": 0.9})
    client.add([{"role": "user", "content": "I love spicy Thai food"},
                {"role": "user", "content": "I cook every Sunday"}], user_id="alice", agent_id="claude-code")
    client.add("I use neovim with a dark theme", user_id="bob", agent_id="codex", metadata={"tags": ["editor"]})
    client.add("I have a dog named Rex", user_id="bob", agent_id="codex", run_id="session-7")
    moved = client.add("I live in Lyon", user_id="alice")["results"][0]["id"]
    client.update(moved, text="I live in Paris")
    return moved


def search_texts(client) -> list[list[str]]:
    return [[hit["memory"] for hit in client.search(query, filters=filters, top_k=5)["results"]]
            for query, filters in QUERIES]


def test_export_then_import_into_another_store_keeps_memories_and_search(isolated_home, shared_daemon, tmp_path):
    dump = tmp_path / "memories.jsonl"
    with running_daemon(isolated_home) as source:
        moved = seed(source.client)
        exported = memctl(source.env, "export")
        assert exported.returncode == 0, exported.stderr
        dump.write_text(exported.stdout, encoding="utf-8")
        only_bob = memctl(source.env, "export", "--user", "bob")
        markdown = memctl(source.env, "export", "--format", "markdown")
        before = search_texts(source.client)

    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(records) == 6 and "exported 6 memories" in exported.stderr
    by_id = {r["id"]: r for r in records}
    assert [h["event"] for h in by_id[moved]["history"]] == ["ADD", "UPDATE"]
    assert by_id[moved]["memory"] == "I live in Paris" and by_id[moved]["created_at"]
    assert {r["memory"] for r in map(json.loads, only_bob.stdout.splitlines())} == {
        "I use neovim with a dark theme", "I have a dog named Rex"}
    assert "## bob" in markdown.stdout and "### codex" in markdown.stdout
    assert "- I have a dog named Rex <!-- mem:" in markdown.stdout

    target = shared_daemon
    imported = memctl(target.env, "import", str(dump), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {"lines": 6, "added": 6, "skipped": 0, "failed": 0, "errors": []}
    again = json.loads(memctl(target.env, "import", str(dump), "--json").stdout)
    assert (again["added"], again["skipped"]) == (0, 6)
    after = search_texts(target.client)
    copied = [record for user in sorted(EXPORTED_USERS)
              for record in map(json.loads, memctl(target.env, "export", "--user", user).stdout.splitlines())]

    assert sorted(map(comparable, copied)) == sorted(map(comparable, records))
    assert {c["metadata"]["imported_from"] for c in copied} == set(by_id)
    assert not set(by_id) & {c["id"] for c in copied}
    assert after == before and all(after)


def test_a_bad_line_is_reported_by_number_and_the_rest_imports(shared_daemon, tmp_path):
    good = {"memory": "I collect vinyl records", "user_id": "imp-user", "agent_id": None, "run_id": None,
            "metadata": {"kind": "hobby"}}
    lines = [json.dumps(good),
             '{"memory": "half a line',
             json.dumps({"memory": "no scope at all", "metadata": {}}),
             "",
             json.dumps({**good, "memory": "I brew my own beer"}),
             json.dumps({**good, "memory": "nested metadata", "metadata": {"deep": {"x": 1}}})]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = memctl(shared_daemon.env, "import", str(path))
    assert result.returncode == exitcodes.ERROR
    assert "2 added, 0 skipped (already there), 3 failed, from 6 lines" in result.stdout
    reported = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("line ")]
    assert reported == ["line 2", "line 3", "line 6"]
    assert "not valid JSON" in result.stderr and "no user_id" in result.stderr
    stored = shared_daemon.client.get_all(filters={"user_id": "imp-user"})["results"]
    assert sorted(m["memory"] for m in stored) == ["I brew my own beer", "I collect vinyl records"]
    assert all(m["metadata"]["kind"] == "hobby" for m in stored)


def test_import_of_a_missing_file_is_a_usage_error(shared_daemon, tmp_path):
    result = memctl(shared_daemon.env, "import", str(Path(tmp_path) / "nope.jsonl"))
    assert result.returncode == exitcodes.USAGE and "does not exist" in result.stderr
