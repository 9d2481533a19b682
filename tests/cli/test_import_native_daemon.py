"""``memctl import-native`` through a real daemon: reads Claude Code's CLAUDE.md and auto memory
and Codex's memories, shows them, imports through the write gate, never modifies them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sidecar.testing.daemons import DaemonProcess
from sidecar.testing.waiting import ready_limit
from sidecar_cli.native_sources import statements

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
USER = "native-nora"


def memctl(daemon: DaemonProcess, home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**daemon.env, "HOME": str(home), "SIDECAR_USER": USER}
    env.pop("CLAUDE_CONFIG_DIR", None)
    env.pop("CODEX_HOME", None)
    return subprocess.run([MEMCTL, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=ready_limit() * 4)


def native_home(tmp_path: Path) -> tuple[Path, list[Path]]:
    home = tmp_path / "nh"
    claude_md = home / ".claude" / "CLAUDE.md"
    auto = home / ".claude" / "projects" / "-work-shop" / "memory" / "MEMORY.md"
    codex = home / ".codex" / "memories" / "user.md"
    for path in (claude_md, auto, codex):
        path.parent.mkdir(parents=True, exist_ok=True)
    claude_md.write_text("# Global\n\n- I am allergic to penicillin.\n\n```sh\nrm -rf build\n```\n")
    auto.write_text("---\nname: notes\n---\n# Shop\n- I live in Lisbon.\n- hello there\n")
    codex.write_text("I prefer tabs over spaces in every project.\n")
    return home, [claude_md, auto, codex]


def test_statements_leave_out_code_headings_and_our_own_blocks() -> None:
    text = ("---\nname: x\n---\n# Title\n- [x] Uses Neovim daily\n\nWorks at Siemens\nin Munich.\n"
            "```\nnpm i\n```\n| a | b |\n<!-- agent-memory:begin (managed section: edits here sync to the memory "
            "store) -->\n- ours <!-- mem:12345678 -->\n<!-- agent-memory:end -->\n")
    assert list(statements(text)) == ["Uses Neovim daily", "Works at Siemens in Munich."]


def test_show_then_import_through_the_gate_without_touching_the_files(shared_daemon: DaemonProcess,
                                                                      tmp_path: Path) -> None:
    home, files = native_home(tmp_path)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}

    shown = memctl(shared_daemon, home, "import-native", "--dry-run", "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert found["imported"] is False and found["statements"] == 4
    assert {(f["agent"], f["kind"]) for f in found["files"]} == {
        ("claude-code", "CLAUDE.md"), ("claude-code", "auto-memory"), ("codex", "memories")}
    assert shared_daemon.client.get_all(filters={"user_id": USER})["results"] == []

    declined = memctl(shared_daemon, home, "import-native", stdin="n\n")
    assert declined.returncode != 0 and "I live in Lisbon." in declined.stdout
    assert shared_daemon.client.get_all(filters={"user_id": USER})["results"] == []

    done = memctl(shared_daemon, home, "import-native", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    stored = {m["memory"]: m for m in shared_daemon.client.get_all(filters={"user_id": USER})["results"]}
    assert report["kept"] == len(stored) >= 2
    text = " ".join(stored).lower()
    assert "penicillin" in text and "lisbon" in text and "hello there" not in text  # the gate chose
    assert {m["metadata"]["native"] for m in stored.values()} <= {"claude-code", "codex"}
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before  # never modified

    again = json.loads(memctl(shared_daemon, home, "import-native", "--yes", "--json").stdout)
    assert again["kept"] == 0  # already known: the reconciler adds nothing twice
    assert len(shared_daemon.client.get_all(filters={"user_id": USER})["results"]) == len(stored)
