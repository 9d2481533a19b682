"""``memctl demo lifecycle``: replay the memory lifecycle against a daemon.

Session history fills up and folds, the write gate judges a fact and small
talk, MEMORY.md outgrows Direct injection so the context flips to RAG, and a
conflicting fact is reconciled into an UPDATE that ``history`` shows. Every
step goes through the protocol, as an agent's would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import click

from sidecar_cli.common import client, handle_errors
from sidecar_client.client import Client, daemon_listening
from sidecar_shared.errors import SidecarError
from sidecar_shared.paths import HOME_ENV, app_paths

CHATTER = ["Hi there!", "Thanks, that helps.", "Haha, nice one.", "Ok, let me think.", "Sounds good to me."]
FACTS = ["I am allergic to peanuts.", "My daughter is called Mia.", "I always use tabs, never spaces.",
         "Our team deploys on Thursdays.", "I drive an electric car."]
CANDIDATE_FACT = "I am vegetarian and never eat meat."
SMALL_TALK = "lol that was a fun chat, have a nice evening"
OLD_HOME, NEW_HOME = "I live in Lyon.", "I moved to Berlin last month, so I live in Berlin now."


def step(number: int, title: str) -> None:
    click.secho(f"\n== {number}. {title}", bold=True)


@contextlib.contextmanager
def private_daemon() -> Iterator[Client]:
    """A daemon on a fresh temp SIDECAR_HOME, stopped (and its folder removed) afterwards."""
    home = tempfile.mkdtemp(prefix="memdemo-", dir="/tmp" if os.path.isdir("/tmp") else None)
    env = {**os.environ, HOME_ENV: home}
    env.pop("NOTIFY_SOCKET", None)
    log = open(os.path.join(home, "daemon.log"), "wb")
    process = subprocess.Popen([sys.executable, "-m", "sidecar", "serve"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    demo_client = Client(app_paths(env), timeout=60.0)
    try:
        deadline = time.monotonic() + 90
        while not daemon_listening(demo_client.paths.socket_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(f"the private daemon did not start; see {home}/daemon.log")
            time.sleep(0.1)
        click.echo(f"(private daemon pid {process.pid} on {home})")
        yield demo_client
    finally:
        demo_client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def show_session_growth(c: Client, user: str, session: str) -> None:
    step(1, "Session history accumulates to 20 messages, then the front half folds")
    for index in range(21):
        text = FACTS[index % len(FACTS)] if index % 2 == 0 else CHATTER[index % len(CHATTER)]
        role = "user" if index % 2 == 0 else "assistant"
        result = c.call("session.update", {"session_id": session, "user_id": user,
                                           "messages": [{"role": role, "content": text}]}, timeout=120)
        if result["folded"] or index in (0, 9, 19):
            click.echo(f"  after message {index + 1:2d}: {result['messages']} kept, folded={result['folded']}")
    click.echo("  compressed_context:\n    " + result["compressed"].replace("\n", "\n    "))
    context = c.call("context", {"query": "What should I cook tonight?", "user_id": user, "session_id": session})
    roles = [m["role"] for m in context["messages"]]
    click.echo(f"  context messages: {roles.count('system')} system (summary is its own), "
               f"{len(roles) - roles.count('system') - 1} history, 1 query")


def show_gate(c: Client, user: str) -> None:
    step(2, "The write gate: a stable personal fact passes, small talk does not")
    for text in (CANDIDATE_FACT, SMALL_TALK):
        try:
            result = c.add(text, user_id=user, infer=True)
        except SidecarError as exc:
            click.echo(f"  {text!r}\n    -> add(infer=True) unavailable here ({exc}); "
                       "the write gate is not wired into this daemon yet")
            continue
        click.echo(f"  {text!r}")
        for verdict in result.get("verdicts", []):
            click.echo(f"    verdict: memorize={verdict.get('memorize')} kind={verdict.get('kind')} "
                       f"score={verdict.get('score')}")
            for trigger, reason in (verdict.get("reasons") or {}).items():
                click.echo(f"      {trigger}: {reason}")
        stored = ", ".join(f"{r.get('event')}: {r.get('memory')}" for r in result.get("results", []))
        click.echo(f"    -> {stored or 'nothing stored'}")


def _context_mode(c: Client, user: str) -> dict[str, Any]:
    return c.call("context", {"query": "What food do I like?", "user_id": user})


def show_flip(c: Client, user: str) -> None:
    step(3, "MEMORY.md crosses 2,000 estimated tokens: Direct flips to RAG")
    result = _context_mode(c, user)
    click.echo(f"  before: mode={result['mode']}, long-term block ~{result['tokens']} tokens")
    added = 0
    while result["mode"] != "rag" and added < 400:
        batch = [{"role": "user", "content": f"Demo fact {added + i}: project {uuid.uuid4().hex[:6]} uses "
                  f"port {8000 + added + i} and is owned by team number {added + i}."} for i in range(20)]
        c.add(batch, user_id=user)
        added += len(batch)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the MEMORY.md renderer is debounced
            time.sleep(0.3)
            result = _context_mode(c, user)
            if result["mode"] == "rag":
                break
        click.echo(f"  +{added:3d} memories: mode={result['mode']}, context ~{result['tokens']} tokens")
    click.echo(f"  after: mode={result['mode']} with {len(result['memories'])} memories from search")


def show_conflict(c: Client, user: str) -> None:
    step(4, "A conflicting fact: the reconciler chooses among ADD/UPDATE/DELETE/NONE")
    old = c.add(OLD_HOME, user_id=user)["results"][0]
    click.echo(f"  stored: {old['memory']} ({str(old['id'])[:8]})")
    try:
        rows = c.add(NEW_HOME, user_id=user, infer=True).get("results", [])
        for row in rows:
            click.echo(f"  reconciler: {row.get('event')} {str(row.get('id'))[:8]} -> {row.get('memory')}")
        target = next((r["id"] for r in rows if r.get("event") == "UPDATE"), old["id"])
    except SidecarError as exc:
        click.echo(f"  add(infer=True) unavailable here ({exc}); showing a plain update instead")
        c.update(old["id"], text=NEW_HOME)
        target = old["id"]
    for row in c.history(target):
        click.echo(f"  history {row.get('event'):6s} old={row.get('old_memory')!r} new={row.get('new_memory')!r}")


@click.group(name="demo")
def demo_group() -> None:
    """Guided demonstrations against the memory daemon."""


@demo_group.command(name="lifecycle")
@click.option("--spawn", is_flag=True, help="Start a private daemon in a temp SIDECAR_HOME and stop it after.")
@click.option("--user", "user_id", default=None, help="User id for the demo (default: a fresh demo-… id).")
@handle_errors
def lifecycle(spawn: bool, user_id: str | None) -> None:
    """Replay session folding, the write gate, Direct→RAG and reconciliation."""
    user = user_id or f"demo-{uuid.uuid4().hex[:6]}"
    session = f"{user}-session"
    with (private_daemon() if spawn else contextlib.nullcontext(client())) as c:
        click.echo(f"user {user}, session {session}")
        show_session_growth(c, user, session)
        show_gate(c, user)
        show_flip(c, user)
        show_conflict(c, user)
