"""Property: no op shows one user another user's memories (issue 14, isolation).

Hypothesis draws pairs of user ids that earlier versions confused (``alice.`` and
``alice``, ``a/b`` and ``a_b``, ``../../x`` and ``x``, case and Unicode-normalisation
variants) plus arbitrary text. Each user stores a memory holding a token nobody else
has; then, through one real daemon, every read a user can make (search, search with
filters that try to widen the scope, get_all, export, context, the MCP tools, the
hooks' context output) must carry no token of anyone else. Ids the store cannot keep
apart (``*``, whitespace, control characters) may be refused with a clear error
instead. Examples: ``$SIDECAR_ISOLATION_EXAMPLES`` (default 30).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.waiting import wait_until
from sidecar_shared.errors import RequestFailed
from sidecar_shared.paths import HOME_ENV
from sidecar_shared.protocol import Code
from sidecar_shared.user import USER_ENV

EXAMPLES = int(os.environ.get("SIDECAR_ISOLATION_EXAMPLES", "30"))
# letters only: a hex token is sometimes a Luhn-valid digit run, which the secret guard rightly refuses
TOKEN = re.compile(r"tok[a-p]{16}")
_HEX_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")
REFUSALS = {Code.BAD_REQUEST, Code.MISSING_SCOPE}
OWNER: dict[str, str] = {}  # every token ever stored -> its user id

VARIANTS: list[Callable[[str], str]] = [
    lambda s: s + ".", lambda s: "." + s, lambda s: "../../" + s, lambda s: "./" + s, lambda s: s + "/",
    lambda s: s.replace("_", "/"), lambda s: s.replace("/", "_"), lambda s: "_" + s + "_", str.upper,
    str.swapcase, lambda s: unicodedata.normalize("NFD", s), lambda s: unicodedata.normalize("NFC", s),
    lambda s: s + "\u0301", lambda s: " " + s, lambda s: s + "*",
]
ID_CHARS = st.characters(exclude_categories=("Cs",))
BASES = st.one_of(st.sampled_from(["alice", "a_b", "x", "Bob", "josé", "..", "*", "user"]),
                  st.text(ID_CHARS, min_size=1, max_size=24))


@st.composite
def id_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two distinct ids, most of them variants of each other that the old naming folded together."""
    first = draw(BASES)
    if draw(st.booleans()):
        second = draw(st.sampled_from(VARIANTS))(first)
    else:
        second = draw(st.text(ID_CHARS, min_size=1, max_size=24))
    if not second or second == first:
        second = first + "."
    return first[:200], second[:200]


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    with private_daemon("[context]\nmd_debounce_s = 0.05\n", prefix="sci-") as proc:
        yield proc


def foreign_tokens(reply: Any, user: str) -> set[str]:
    """Tokens in ``reply`` that belong to someone other than ``user``."""
    text = json.dumps(reply, ensure_ascii=False, default=str)
    return {token for token in TOKEN.findall(text) if OWNER.get(token, user) != user}


def read_or_refused(call: Callable[[], Any]) -> Any:
    """The reply, or None when the daemon refused the request with a clear error."""
    try:
        return call()
    except RequestFailed as exc:
        assert exc.code in REFUSALS, exc
        return None


@contextmanager
def hook_env(daemon: DaemonProcess, user: str) -> Iterator[bool]:
    """The environment a hook runs in for ``user`` (False when the id cannot be an environment value)."""
    saved = {key: os.environ.get(key) for key in (HOME_ENV, USER_ENV)}
    try:
        os.environ[HOME_ENV] = str(daemon.home)
        os.environ[USER_ENV] = user
        usable = True
    except ValueError:  # an embedded NUL
        usable = False
    try:
        yield usable
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def hook_context(daemon: DaemonProcess, user: str, query: str, session: str) -> str:
    """What the Claude Code hook injects for ``user``'s prompt ('' when it has nothing or cannot run)."""
    from sidecar_integrations.hooks.common import Deadline, handle_event, hook_output

    with hook_env(daemon, user) as usable:
        if not usable:
            return ""
        text = read_or_refused(lambda: handle_event("claude-code", "UserPromptSubmit",
                                                    {"prompt": query, "session_id": session}, Deadline(30.0)))
        return json.dumps(hook_output("UserPromptSubmit", text or ""))  # a refused id: the hook injects nothing


def mcp_replies(daemon: DaemonProcess, user: str, query: str) -> list[Any]:
    """The MCP tools' answers for ``user`` (tool errors are answers too: they must not leak either)."""
    from mcp.server.mcpserver.exceptions import ToolError

    from sidecar_client.asyncio_client import AsyncClient
    from sidecar_integrations.mcp_server import build_server

    async def scenario() -> list[Any]:
        async with AsyncClient(daemon.paths, timeout=30.0) as client:
            server = build_server(user_id=user, agent_id="prop-mcp", client=client)
            calls = [("search_memories", {"query": query, "top_k": 50}), ("list_memories", {"limit": 500}),
                     ("get_context", {"query": query})]
            replies: list[Any] = []
            for name, args in calls:
                try:
                    replies.append((await server.call_tool(name, args)).model_dump(mode="json"))
                except ToolError as exc:  # a refused id: the message goes to the model, so check it too
                    replies.append(str(exc))
            return replies

    return asyncio.run(scenario())


def check_user(daemon: DaemonProcess, user: str, token: str | None) -> None:
    """Every read ``user`` can make shows none of anyone else's tokens (and its own rows, when stored)."""
    client = daemon.client
    query = f"{token or 'tok'} private codeword"
    own = {"user_id": user}
    replies = {
        "search": read_or_refused(lambda: client.search(query, filters=own, top_k=100)),
        "search AND": read_or_refused(lambda: client.search(query, filters={**own, "AND": [{"user_id": "alice"}]})),
        "search OR": read_or_refused(lambda: client.search(query, filters={**own, "OR": [{"user_id": "x"}]})),
        "get_all": read_or_refused(lambda: client.get_all(filters=own, top_k=1000)),
        "export": read_or_refused(lambda: client.call("export", {"filters": own, "offset": 0, "limit": 1000})),
    }
    for name, reply in replies.items():
        assert not foreign_tokens(reply, user), (name, user, reply)
        rows = (reply or {}).get("results") or (reply or {}).get("memories") or []
        assert all(row["user_id"] == user for row in rows), (name, user, rows)
    if token is not None:
        assert token in json.dumps(replies["get_all"], ensure_ascii=False), (user, "own row missing")

    def context_shows_own() -> bool:
        reply = read_or_refused(lambda: client.call("context", {"query": query, "user_id": user}))
        assert not foreign_tokens(reply, user), ("context", user, reply)
        return token is None or token in json.dumps(reply, ensure_ascii=False)

    # MEMORY.md follows the store after a debounce; the predicate fails at once on a leak.
    wait_until(context_shows_own, interval=0.05, what=f"context of {user!r} to show its own memory")
    for reply in mcp_replies(daemon, user, query):
        assert not foreign_tokens(reply, user), ("mcp", user, reply)
    hooked = hook_context(daemon, user, query, session=f"prop-{uuid.uuid4().hex}")
    assert not foreign_tokens(hooked, user), ("hook", user, hooked)


@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pair=id_pairs())
@example(pair=("alice", "alice."))
@example(pair=("a_b", "a/b"))
@example(pair=("x", "../../x"))
@example(pair=("Bob", "bob"))
@example(pair=(unicodedata.normalize("NFC", "josé"), unicodedata.normalize("NFD", "josé")))
@example(pair=("*", "alice"))
def test_no_read_shows_another_users_memories(daemon: DaemonProcess, pair: tuple[str, str]) -> None:
    tokens: dict[str, str | None] = {}
    for user in pair:
        token = f"tok{uuid.uuid4().hex[:16].translate(_HEX_TO_LETTERS)}"
        OWNER[token] = user
        try:
            daemon.client.add(f"{token} is the private codeword of this user", user_id=user)
            tokens[user] = token
        except RequestFailed as exc:
            assert exc.code in REFUSALS, exc
            tokens[user] = None
    for user in pair:
        check_user(daemon, user, tokens[user])
