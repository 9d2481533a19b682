"""`memctl agents-md sync` against a real daemon: AGENTS.md (usually committed to git) gets only the
memories scoped to its project, and only after the user opted in; personal memories never."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import ready_limit, wait_until
from sidecar_integrations.hooks.agents_md import OPT_IN
from sidecar_shared import markers

MEMCTL = os.path.join(os.path.dirname(sys.executable), "memctl")
USER = "jana-k"


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon(f'user_id = "{USER}"\n[watch]\non = false\n') as module_daemon:
        yield module_daemon


def memctl(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMCTL, *args], env=daemon.env, capture_output=True, text=True, timeout=ready_limit())


def add(daemon: DaemonProcess, text: str, **metadata: str) -> None:
    daemon.client.add(text, user_id=USER, metadata=metadata or None)


def learn_from_a_session_in(daemon: DaemonProcess, project: Path, transcript: Path) -> None:
    """A Claude Code session whose working folder is ``project``, through the real ingest and write gate."""
    said = ["I'm type 1 diabetic, so I keep glucose tabs at my desk.",
            "In this repo we use pnpm, never npm, and every PR needs one approving review."]
    transcript.write_text("".join(json.dumps({
        "type": "user", "sessionId": "s-1", "uuid": f"u{i}", "cwd": str(project),
        "message": {"role": "user", "content": text}}) + "\n" for i, text in enumerate(said)))
    ingest = daemon.client.call("ingest", {"paths": [str(transcript)], "agent": "claude-code"})
    wait_until(lambda: daemon.client.ingest_progress(ingest["job_ids"])["pending"] == 0,
               what="the session to be judged")


def test_only_project_facts_after_opt_in_and_never_personal_ones(daemon: DaemonProcess, tmp_path: Path) -> None:
    project = tmp_path / "billing"
    other = tmp_path / "website"
    project.mkdir()
    other.mkdir()
    learn_from_a_session_in(daemon, project, tmp_path / "session.jsonl")
    learned = {m["memory"]: m["metadata"] for m in daemon.client.get_all(filters={"user_id": USER})["results"]}
    health = next(text for text in learned if "diabet" in text.lower())
    pnpm = next(text for text in learned if "pnpm" in text)
    # said inside the project, but about the person: its kind keeps it out of the project's file
    assert learned[health]["cwd"] == str(project) and learned[health]["kind"] in ("personal_fact", "identity")
    assert learned[pnpm]["kind"] == "project_convention"
    # explicit memories with the metadata other paths give them
    add(daemon, "Name is Jana Kowalski", kind="identity")
    add(daemon, "Prefers short answers without emojis", kind="preference", cwd=str(project))
    add(daemon, "Sister Ola is a nurse in Gdańsk", kind="third_party_fact", project="billing")
    add(daemon, "Deploys of billing go through ArgoCD", kind="project_convention", project="billing")
    add(daemon, "Dev database of billing runs in docker compose on port 5433", kind="environment",
        cwd=str(project / "services" / "api"))
    add(daemon, "Commit messages follow Conventional Commits", kind="project_convention")  # no location
    add(daemon, "Website is built with Astro", kind="project_convention", cwd=str(other))
    add(daemon, "Laptop is a ThinkPad X1 with Fedora", kind="environment")  # the person's machine
    add(daemon, "billing's feature flags live in flags.yaml", project="billing")  # explicit, tagged with the project
    add(daemon, "Dentist appointment every March")  # explicit, untagged
    included = [pnpm, "Deploys of billing go through ArgoCD", "Dev database of billing runs in docker compose",
                "Commit messages follow Conventional Commits", "billing's feature flags live in flags.yaml"]
    excluded = [health, "Jana", "Prefers short answers", "Sister Ola", "Astro", "ThinkPad", "Dentist"]

    agents_file = project / "AGENTS.md"
    refused = memctl(daemon, "agents-md", "sync", "--project", str(project))
    assert refused.returncode != 0 and "--opt-in" in refused.stderr and "committed to git" in refused.stderr
    assert not agents_file.exists()

    synced = memctl(daemon, "agents-md", "sync", "--project", str(project), "--opt-in")
    assert synced.returncode == 0, synced.stderr
    text = agents_file.read_text()
    assert OPT_IN in text and text.count(markers.MANAGED_BEGIN) == 1
    for fact in included:
        assert fact in text, (fact, text)
    for fact in excluded + [USER]:
        assert fact not in text, (fact, text)
    assert "5 project memories listed" in synced.stdout

    # the opt-in is recorded in the file: a later sync (a git hook, say) needs no flag and picks up new facts
    add(daemon, "Billing uses Python 3.12 with uv", kind="project_convention", project="billing")
    again = memctl(daemon, "agents-md", "sync", "--project", str(project))
    assert again.returncode == 0, again.stderr
    assert "Billing uses Python 3.12 with uv" in agents_file.read_text()
    # opting out removes the section and its opt-in with it
    removed = memctl(daemon, "agents-md", "remove", "--project", str(project))
    assert removed.returncode == 0 and not agents_file.exists()


def test_a_section_from_an_older_memctl_is_not_refreshed_without_opt_in(daemon: DaemonProcess,
                                                                         tmp_path: Path) -> None:
    old = ("# Rules\n\nUse tabs.\n\n" + markers.MANAGED_BEGIN + "\n## What I remember about jana-k\n\n"
           "- Has type 1 diabetes\n\n" + markers.MANAGED_END + "\n")
    agents_file = tmp_path / "AGENTS.md"
    agents_file.write_text(old)
    refused = memctl(daemon, "agents-md", "sync", "--project", str(tmp_path))
    assert refused.returncode != 0 and "older memctl" in refused.stderr and "agents-md remove" in refused.stderr
    assert agents_file.read_text() == old
    replaced = memctl(daemon, "agents-md", "sync", "--project", str(tmp_path), "--opt-in")
    assert replaced.returncode == 0, replaced.stderr
    text = agents_file.read_text()
    assert text.startswith("# Rules\n\nUse tabs.\n\n") and "diabetes" not in text and "jana-k" not in text
