"""The transcript watcher and the asynchronous write gate, through a real daemon.

Each test starts its own daemon: they need their own watch and gate configs, a kill -9, or a store
whose whole content they check.
"""

from __future__ import annotations

import json
import random
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sidecar.testing.daemons import DaemonProcess, running_daemon, write_config
from sidecar.testing.waiting import ready_limit, wait_until

from sidecar.testing.ollama_server import FakeOllamaServer

SECRET = "ghp_" + "Qx7" * 12


def configure(sidecar_home: Path, text: str) -> None:
    write_config(sidecar_home, 'user_id = "ana"\n' + text)


def eventually(probe: Callable[[], Any], what: str = "condition") -> Any:
    return wait_until(probe, interval=0.1, what=what)


def tracked(daemon: DaemonProcess, path: Path) -> dict[str, Any] | None:
    """The watcher's row for ``path`` (None until it has seen the file)."""
    return next((f for f in daemon.client.call("watch.status")["files"] if f["path"] == str(path)), None)


def memories(daemon: DaemonProcess, **filters: str) -> list[dict[str, Any]]:
    return daemon.client.call("get_all", {"filters": {"user_id": "ana", **filters}, "top_k": 5000})["results"]


def claude_user(text: str, uuid: str) -> str:
    return json.dumps({"type": "user", "sessionId": "sess-1", "uuid": uuid, "cwd": "/work/proj",
                       "message": {"role": "user", "content": text}}) + "\n"


def generic(role: str, text: str) -> str:
    return json.dumps({"role": role, "content": text, "session_id": "g1"}) + "\n"


def test_transcript_appended_line_by_line_is_learned_but_not_injected_text_or_secrets(
        isolated_home: Path, tmp_path: Path) -> None:
    configure(isolated_home, "[watch]\nrescan_seconds = 2\ndebounce_ms = 50\n")
    project = tmp_path / "home" / ".claude" / "projects" / "-work-proj"
    project.mkdir(parents=True)
    transcript = project / "sess-1.jsonl"
    injected = "<agent-memory-context>\n- Keeps a pet iguana named Zorblax\n</agent-memory-context>"
    hook = json.dumps({"type": "attachment", "sessionId": "sess-1", "uuid": "h1", "attachment": {
        "type": "hook_additional_context", "hookEvent": "UserPromptSubmit",
        "content": ["<agent-memory-context>\n- Plays the theremin every Sunday\n</agent-memory-context>"]}}) + "\n"
    lines = [
        claude_user("I live in Tromsø with my partner.", "u1"),
        hook,
        claude_user(f"{injected}\nMy daughter studies marine biology in Bergen.", "u2"),
        '{"type": "user", "message": {"content": "half a record\n',
        claude_user(f"My GitHub token is {SECRET} and I use it for the deploy bot.", "u3"),
        claude_user("I prefer pytest over unittest for every project.", "u4"),
    ]
    with running_daemon(isolated_home) as daemon:
        for line in lines:  # an agent appending: each line is read on its own before the next one comes
            with transcript.open("a") as handle:
                handle.write(line)
            size = transcript.stat().st_size
            eventually(lambda: (row := tracked(daemon, transcript)) and row["offset"] == size,
                       what=f"the watcher to read up to byte {size}")
        texts = eventually(lambda: (m := [x["memory"] for x in memories(daemon)]) and len(m) >= 3 and m,
                           what="three memories")
        status = eventually(lambda: (s := daemon.client.call("watch.status"))["queue"]["pending"] == 0 and s)
        assert any("Tromsø" in t for t in texts) and any("marine biology" in t for t in texts)
        assert any("pytest" in t for t in texts)
        joined = " ".join(texts)
        assert "Zorblax" not in joined and "theremin" not in joined  # our own injected context
        assert SECRET not in joined and len(texts) == 3
        (entry,) = status["files"]
        assert entry["path"] == str(transcript) and entry["corrupt"] == 1 and entry["offset"] == entry["size"]
        assert status["judge"]["backend"] == "embedded" and status["judge"]["p95_ms"] is not None
        tromso = next(m for m in memories(daemon) if "Tromsø" in m["memory"])
        assert "run_id" not in tromso or tromso["run_id"] is None
        assert tromso["agent_id"] == "claude-code" and tromso["metadata"]["session_id"] == "sess-1"
        assert tromso["metadata"]["source"] == str(transcript) and tromso["metadata"]["line"] == 1
        assert tromso["metadata"]["cwd"] == "/work/proj"
        log = daemon.log()
    assert SECRET not in log and "Tromsø" not in log
    for path in (isolated_home / "data").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def colleague_facts(count: int) -> list[str]:
    """Distinct, memorable third-party facts, far enough apart that none restates another."""
    topics = ("billing search payments mobile analytics infrastructure compiler kernel security onboarding "
              "checkout logistics firmware networking storage telemetry recommendations identity graphics audio "
              "robotics genomics astronomy chemistry geology oceanography linguistics philosophy architecture "
              "carpentry pottery sculpture photography cinema theatre ballet opera jazz violin cello trumpet drums "
              "chess poker rugby cricket tennis hockey cycling rowing sailing climbing skiing surfing diving "
              "fencing archery beekeeping gardening baking brewing winemaking cheesemaking fishing hunting "
              "knitting quilting origami calligraphy typography cartography meteorology volcanology seismology "
              "entomology ornithology botany mycology zoology virology immunology cardiology dermatology "
              "radiology dentistry pharmacy nursing midwifery veterinary forestry agriculture mining shipping "
              "aviation railways trucking plumbing welding masonry roofing").split()
    templates = ["My colleague {n} works on the {p} team.", "My friend {n} is obsessed with {p}.",
                 "My neighbour {n} teaches {p} at the community college.", "My cousin {n} studies {p} at university.",
                 "My manager {n} used to work in {p} before joining us.", "My sister-in-law {n} writes a blog about {p}.",
                 "My old roommate {n} got a PhD in {p}.", "My dentist {n} collects antique books on {p}.",
                 "My mentor {n} gives conference talks about {p}.", "My uncle {n} runs a small {p} business in Porto."]
    first = ("Alice Bogdan Chen Dmitri Eva Farah Goran Hiro Ingrid Jamal Kofi Lena Mateo Nadia Oskar Priya Quentin "
             "Rosa Sven Tariq Ulla Viktor Wanda Xavier Yusuf Zora Amir Beatriz Cyrus Dalia Emil Fatima Gustav Hana "
             "Ivan Julia Kenji Leila Marco Nina Olga Pavel Rania Stefan Tomas Uma Vera Walter Yara Zeno Anika Boris "
             "Clara Dario Elif Felix Greta Henrik Isla Jonas Katya Luca Mira Niko Odile Pedro Rafael Sofia Teodor "
             "Ursula Valentin Wiebke Ximena Yann Zeynep Arjun Bianca Cosmin Dagny Enzo Flora Gideon Helga Idris "
             "Jorge Kasia Lorenzo Maren Nils Orla Petra Rolf Selma Timo Vilja Anselm Brigid Casimir Delphine Evander").split()
    last = ("Smith Novak Ito Okafor Larsen Silva Kowalski Haddad Moreau Becker Tanaka Rossi Nguyen Petrov Eriksen "
            "Mendes Fischer Kaur Dubois Ahmed Varga Lindqvist Costa Yilmaz Brennan Sato Horvat Reyes Olsen Zhou").split()
    rng = random.Random(7)
    # within one template every fact has its own first name and topic, so no two restate each other
    people = [(first[i // 10], rng.choice(last)) for i in range(count)]
    return [templates[i % 10].format(n=f"{a} {b}", p=topics[i // 10]) for i, (a, b) in enumerate(people)]


def expected_memories(utterances: list[str]) -> list[str]:
    """What the embedded judge makes of each utterance, computed in this process."""
    from sidecar.learn.judge.embedded_judge import EmbeddedJudge
    from sidecar.store.embedder import MiniLMEmbedder

    judge = EmbeddedJudge(MiniLMEmbedder())
    return [fact for text in utterances for fact in judge.judge(text).facts]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_during_ingest_loses_nothing_and_duplicates_nothing(isolated_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "generic"
    folder.mkdir()
    configure(isolated_home, f'[watch]\ngeneric_dirs = ["{folder}"]\nrescan_seconds = 2\n')
    utterances = colleague_facts(1000)
    transcript = folder / "bulk.jsonl"
    transcript.write_text("".join(generic("user", u) for u in utterances))
    with running_daemon(isolated_home) as daemon:
        eventually(lambda: daemon.client.call("watch.status")["queue"]["done"] >= 150, what="150 jobs done")
        assert daemon.stop(signal.SIGKILL) == -signal.SIGKILL
    expected = expected_memories(utterances)
    assert len(expected) > 950
    with running_daemon(isolated_home) as daemon:
        assert len(memories(daemon)) < len(expected)  # the kill came mid-way
        result = daemon.client.ingest([str(transcript)], wait=True, timeout=ready_limit())
        assert result["pending"] == 0 and result["failed"] == 0 and result["queued"] == 0
        stored = [m["memory"] for m in memories(daemon, agent_id="generic")]
        status = daemon.client.call("watch.status")
    assert len(stored) == len(set(stored)), "duplicate memories"
    assert sorted(stored) == sorted(expected)
    assert status["queue"]["done"] == 1000 and status["files"][0]["records"] == 1000


def verdict(fact: str) -> dict[str, Any]:
    return {"memorize": True, "kind": "personal_fact", "facts": [fact], "confidence": 0.9,
            "reasons": {"factuality": "a fact", "stability": "lasting", "reuse": "useful"}}


def test_ollama_down_queue_holds_and_drains_when_it_returns(isolated_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "generic"
    folder.mkdir()
    with FakeOllamaServer() as fake:
        fake.state.mode = "down"
        configure(isolated_home, f'[watch]\ngeneric_dirs = ["{folder}"]\nrescan_seconds = 1\ndebounce_ms = 50\n'
                                 f'[ollama]\nurl = "{fake.base_url}"\n'
                                 '[gate]\nbackend = "ollama"\nreconciler = "embedded"\nmodel = "qwen2.5:1.5b"\n'
                                 'retry_base_s = 0.2\nretry_max_s = 1.0\n')
        with running_daemon(isolated_home) as daemon:
            (folder / "chat.jsonl").write_text(generic("user", "I live in Oslo.") + generic("user", "I keep bees."))
            status = eventually(lambda: (s := daemon.client.call("watch.status"))["queue"]["retrying"] == 2 and s,
                                what="both jobs retrying")
            assert status["judge"]["failures"] >= 2 and status["queue"]["failed"] == 0
            retried = status["worker"]["retried"]
            # several more retry rounds while down (backoff 0.2 s to 1 s): still nothing dropped
            status = eventually(
                lambda: (s := daemon.client.call("watch.status"))["worker"]["retried"] >= retried + 6 and s,
                what="three more retry rounds of both jobs")
            assert status["queue"]["pending"] == 2 and status["queue"]["done"] == 0 and not memories(daemon)
            fake.state.chat_replies.extend([verdict("Lives in Oslo"), verdict("Keeps bees")])
            fake.state.mode = "ok"
            eventually(lambda: daemon.client.call("watch.status")["queue"]["done"] == 2, what="queue drained")
            assert sorted(m["memory"] for m in memories(daemon)) == ["Keeps bees", "Lives in Oslo"]
            assert all(m["metadata"]["judge"].startswith("ollama") for m in memories(daemon))


def test_add_infer_goes_through_the_gate_and_history_shows_provenance(daemon: DaemonProcess) -> None:
    scope = {"user_id": "ana", "agent_id": "claude-code"}
    first = daemon.client.call("add", {"messages": "I live in Oslo.", "infer": True, **scope})
    assert [r["event"] for r in first["results"]] == ["ADD"] and first["verdicts"][0]["memorize"]
    memory_id = first["results"][0]["id"]
    moved = daemon.client.call("add", {"messages": "I moved to Bergen.", "infer": True, **scope})
    (update,) = moved["results"]
    assert update["event"] == "UPDATE" and update["id"] == memory_id
    assert "Oslo" in update["previous_memory"] and "Bergen" in update["memory"]
    chat = daemon.client.call("add", {"messages": [{"role": "user", "content": "Thanks, that's all for today!"},
                                                   {"role": "assistant", "content": "Maybe you like hiking?"}],
                                      "infer": True, **scope})
    assert chat["results"] == [] and [v["role"] for v in chat["verdicts"]] == ["user", "assistant"]
    assert not any(v["memorize"] for v in chat["verdicts"])
    bees = daemon.client.call("add", {"messages": "I keep bees in my garden.", "infer": True, **scope})
    again = daemon.client.call("add", {"messages": "I keep bees in my garden.", "infer": True, **scope})
    assert [r["event"] for r in bees["results"]] == ["ADD"] and [r["event"] for r in again["results"]] == ["NONE"]
    history = daemon.client.call("history", {"memory_id": memory_id})
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert "Oslo" in history[1]["old_memory"] and "Bergen" in history[1]["new_memory"]
    assert history[0]["provenance"]["op"] == "ADD" and history[1]["provenance"]["op"] == "UPDATE"
    assert history[1]["provenance"]["source"] == "api" and history[1]["provenance"]["reasons"]["factuality"]
    plain = daemon.client.call("add", {"messages": "raw note, stored verbatim", **scope})
    assert plain["results"][0]["event"] == "ADD" and "verdicts" not in plain
