"""``memctl review``: the facts the write gate holds for review, and the user's yes or no.

With ``[gate] mode = "review"`` (or ``review`` for one source under
``[gate.sources]``) the daemon keeps what it would learn in an inbox instead of
storing it. ``memctl review`` walks the pending items one by one on a terminal
(accept / edit / reject / skip) and prints them otherwise; ``memctl review
accept|reject`` takes an item id (or its first six or more characters) or
``--all``. Loaded on first use through ``cli.LAZY_COMMANDS``.
"""

from __future__ import annotations

import sys
from pathlib import PurePath
from typing import Any

import click

from sidecar_cli import render
from sidecar_cli.common import client, emit, handle_errors, json_option, scope_of, scope_options
from sidecar_client.client import Client
from sidecar_shared import exitcodes
from sidecar_shared.errors import RequestFailed
from sidecar_shared.protocol import scope_ids

PAGE = 200
CHOICES = {"a": "accept", "e": "edit", "r": "reject", "s": "skip", "q": "quit"}


def pending_items(daemon: Client, scope: dict[str, str]) -> list[dict[str, Any]]:
    """Every pending item of ``scope``, oldest first."""
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = daemon.review_list(**scope, limit=PAGE, offset=offset)
        items += page["items"]
        offset = page.get("next_offset")
    return items


def _origin(item: dict[str, Any]) -> str:
    where = item.get("provenance") or {}
    if where.get("line") is not None and where.get("source"):
        return f"{PurePath(where['source']).name}:{where['line']}"
    return f"session {where['session_id']}" if where.get("session_id") else str(where.get("source") or "")


def _what(item: dict[str, Any]) -> str:
    if item["op"] == "DELETE":
        return f"forget: {item.get('target_text') or item.get('target_id')}"
    if item["op"] == "UPDATE":
        return f"{item['text']}  (replaces: {item.get('target_text') or item.get('target_id')})"
    return str(item["text"])


def items_table(result: dict[str, Any]) -> str:
    """A page of ``review.list`` as a table, with how many more there are."""
    items = result.get("items", [])
    if not items:
        return "(nothing to review)"
    rows = [[i["id"][:8], i["op"], _what(i), i.get("source"), _origin(i), (i.get("created_at") or "")[:19]]
            for i in items]
    text = render.table(rows, ["id", "op", "proposed", "source", "from", "created"], [0, 0, 70, 0, 32, 19])
    shown = result.get("offset", 0) + len(items)
    if shown < result.get("total", 0):
        text += f"\n({result['total'] - shown} more: --offset {shown})"
    return text


def describe(item: dict[str, Any], number: int, total: int) -> str:
    """One item, as the interactive walk shows it."""
    verdict = item.get("verdict") or {}
    lines = [f"[{number}/{total}] {item['op']}  {item.get('source')}  {_origin(item)}  "
             f"{(item.get('created_at') or '')[:19]}  id {item['id'][:8]}"]
    if item["op"] == "DELETE":
        lines += [f"  forget:   {item.get('target_text') or item.get('target_id')}", f"  because:  {item['text']}"]
    else:
        lines.append(f"  store:    {item['text']}")
        if item["op"] == "UPDATE":
            lines.append(f"  replaces: {item.get('target_text') or item.get('target_id')}")
    if item.get("utterance"):
        lines.append(f"  said:     {render.shorten(item['utterance'], 200)}")
    if verdict.get("kind"):
        lines.append(f"  judge:    {verdict['kind']}, score {verdict.get('score')}")
    return "\n".join(lines)


def outcome(result: dict[str, Any]) -> str:
    """One line for an accepted or rejected item."""
    if result.get("status") == "rejected":
        return f"rejected {result['id'][:8]}"
    memory = str(result.get("memory_id") or "")[:8]
    line = f"accepted {result['id'][:8]}: {result.get('event')} {memory}".rstrip()
    return f"{line} ({result['note']})" if result.get("note") else line


def _resolve(daemon: Client, verb: str, item_id: str, scope: dict[str, str], text: str | None = None) -> dict[str, Any]:
    if verb == "accept":
        return daemon.review_accept(item_id, text=text, **scope)
    return daemon.review_reject(item_id, **scope)


def walk(daemon: Client, scope: dict[str, str]) -> dict[str, int]:
    """Ask about each pending item in turn; returns how many were accepted, rejected, skipped, failed."""
    items = pending_items(daemon, scope)
    counts = {"accepted": 0, "rejected": 0, "skipped": 0, "failed": 0}
    if not items:
        click.echo("(nothing to review)")
        return counts
    for number, item in enumerate(items, 1):
        click.echo("\n" + describe(item, number, len(items)))
        try:
            choice, text = _ask(item)
        except click.Abort:  # end of input or Ctrl-C: stop asking, keep what was decided
            click.echo()
            break
        if choice == "quit":
            break
        if choice == "skip":
            counts["skipped"] += 1
            continue
        try:
            result = _resolve(daemon, "reject" if choice == "reject" else "accept", item["id"], scope, text)
        except RequestFailed as exc:  # resolved elsewhere meanwhile, say; the others can still be decided
            click.echo(f"memctl: {exc.message}", err=True)
            counts["failed"] += 1
            continue
        counts["rejected" if choice == "reject" else "accepted"] += 1
        click.echo(outcome(result))
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))
    return counts


def _ask(item: dict[str, Any]) -> tuple[str, str | None]:
    while True:
        key = click.prompt("[a]ccept [e]dit [r]eject [s]kip [q]uit", type=click.Choice(list(CHOICES)),
                           show_choices=False)
        choice = CHOICES[key]
        if choice != "edit":
            return choice, None
        if item["op"] == "DELETE":
            click.echo("a deletion has no text to edit: accept or reject it")
            continue
        text = click.prompt("text to store (Enter keeps it)", default=item["text"], show_default=False)
        return "accept", text


def resolve_all(daemon: Client, verb: str, scope: dict[str, str], yes: bool, as_json: bool) -> None:
    """Accept or reject every pending item of ``scope``; exits 1 if any failed."""
    items = pending_items(daemon, scope)
    if items and not yes and not as_json:
        click.confirm(f"{verb.capitalize()} all {len(items)} pending items of {scope}?", abort=True)
    done, failed = [], []
    for item in items:
        try:
            done.append(_resolve(daemon, verb, item["id"], scope))
        except RequestFailed as exc:
            failed.append({"id": item["id"], "code": exc.code, "error": exc.message})
    report = {f"{verb}ed": done, "failed": failed}
    emit(as_json, report, lambda: "\n".join([*(outcome(r) for r in done),
                                             *(f"failed {f['id'][:8]}: {f['error']}" for f in failed),
                                             f"{len(done)} {verb}ed, {len(failed)} failed"]))
    if failed:
        sys.exit(exitcodes.ERROR)


@click.group(invoke_without_command=True)
@scope_options
@click.option("--interactive/--no-interactive", default=None,
              help="Ask about each item in turn (default: when stdin and stdout are a terminal).")
@json_option
@click.pass_context
@handle_errors
def review(ctx: click.Context, user_id: str | None, agent_id: str | None, run_id: str | None,
           interactive: bool | None, as_json: bool) -> None:
    """Facts waiting for your yes or no ([gate] mode = "review").

    On a terminal, asks about each: accept, edit (then accept), reject, skip.
    Otherwise (or with --json) lists them, like `memctl review list`.
    """
    if ctx.invoked_subcommand is not None:
        return
    scope = scope_of(user_id, agent_id, run_id)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if interactive and not as_json:
        walk(client(), scope)
        return
    result = client().review_list(**scope, limit=PAGE)
    emit(as_json, result, lambda: items_table(result))


@review.command(name="list")
@scope_options
@click.option("-n", "--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@json_option
@handle_errors
def list_(user_id: str | None, agent_id: str | None, run_id: str | None, limit: int, offset: int,
          as_json: bool) -> None:
    """List pending items of a scope (default: your user), oldest first."""
    result = client().review_list(**scope_of(user_id, agent_id, run_id), limit=limit, offset=offset)
    emit(as_json, result, lambda: items_table(result))


def _resolve_command(verb: str, item_id: str | None, everything: bool, scope: tuple[str | None, ...],
                     yes: bool, as_json: bool, text: str | None = None) -> None:
    if everything == bool(item_id):
        raise click.UsageError("give either an item ID (6+ characters) or --all")
    if everything:
        if text is not None:
            raise click.UsageError("--text edits one item; it cannot go with --all")
        resolve_all(client(), verb, scope_of(*scope), yes, as_json)
        return
    assert item_id is not None
    result = _resolve(client(), verb, item_id, scope_ids(*scope), text)
    emit(as_json, result, lambda: outcome(result))


@review.command()
@click.argument("item_id", required=False)
@click.option("--text", default=None, help="Store this text instead of the proposed one.")
@click.option("--all", "everything", is_flag=True, help="Accept every pending item of the scope (default: your user).")
@scope_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@json_option
@handle_errors
def accept(item_id: str | None, text: str | None, everything: bool, user_id: str | None, agent_id: str | None,
           run_id: str | None, yes: bool, as_json: bool) -> None:
    """Store a pending item (by ID, or --all of a scope)."""
    _resolve_command("accept", item_id, everything, (user_id, agent_id, run_id), yes, as_json, text)


@review.command()
@click.argument("item_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Reject every pending item of the scope (default: your user).")
@scope_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@json_option
@handle_errors
def reject(item_id: str | None, everything: bool, user_id: str | None, agent_id: str | None, run_id: str | None,
           yes: bool, as_json: bool) -> None:
    """Drop a pending item (by ID, or --all of a scope); the same fact is not proposed again."""
    _resolve_command("reject", item_id, everything, (user_id, agent_id, run_id), yes, as_json)
