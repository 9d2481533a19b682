"""Isolation benchmark: random reads by users whose ids collide, counting leaks (target: 0).

Families of user ids that earlier versions confused (``alice``/``alice.``/``ALICE``,
``a_b``/``a/b``, ``x``/``../../x``, NFC/NFD, plus random Unicode) each store memories
holding tokens nobody else has. Then ``--queries`` random reads go through one real
daemon: search, search with filters that try to widen the scope (``AND``/``OR``),
get_all, export, context, the hooks' context fetch and the MCP tools. A leak is a
reply carrying another user's token or a row of another user. Ids the daemon refuses
(``*``, whitespace, control characters) count as refused, not as leaks.

Usage: python bench/isolation.py [--queries 10000] [--families 60] [--seed N] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, percentile, process_cpu_s  # noqa: E402

from sidecar.testing.daemons import running_daemon, write_config  # noqa: E402
from sidecar.testing.waiting import wait_until  # noqa: E402
from sidecar_shared.errors import RequestFailed  # noqa: E402
from sidecar_shared.protocol import Code  # noqa: E402

TOKEN = re.compile(r"tok[0-9a-f]{16}")
REFUSALS = {Code.BAD_REQUEST, Code.MISSING_SCOPE}
BASES = ["alice", "a_b", "x", "bob", "José", "carol.d", "user", "Émile", "data", "x.y"]
VARIANTS: list[Callable[[str], str]] = [
    lambda s: s, lambda s: s + ".", lambda s: "." + s, lambda s: "../../" + s, lambda s: s.replace("_", "/"),
    lambda s: s.replace(".", "/"), lambda s: "_" + s + "_", str.upper, str.swapcase,
    lambda s: unicodedata.normalize("NFD", s), lambda s: s + "/", lambda s: "./" + s, lambda s: " " + s,
]
OPS = {"search": 20, "search_and": 10, "search_or": 5, "get_all": 15, "export": 10, "context": 25,
       "hook": 10, "mcp": 5}


def random_base(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(BASES)
    alphabet = "abcXYZ_./-@éüß漢字 \u0301*"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))


def families(rng: random.Random, count: int) -> list[list[str]]:
    """``count`` groups of distinct ids that fold together under the old naming (or case/Unicode)."""
    seen: set[str] = set()
    out = []
    for _ in range(count):
        base = random_base(rng)
        group = []
        for variant in rng.sample(VARIANTS, rng.randint(2, 4)):
            user = variant(base)
            if user and user not in seen:
                seen.add(user)
                group.append(user)
        if len(group) >= 2:
            out.append(group)
    return out


class Checker:
    """Who owns which token; counts leaks per op."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        self.leaks: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []

    def check(self, op: str, user: str, reply: Any) -> None:
        text = json.dumps(reply, ensure_ascii=False, default=str)
        foreign = {t for t in TOKEN.findall(text) if self.owner.get(t, user) != user}
        rows = []
        if isinstance(reply, dict):
            rows = reply.get("results") or reply.get("memories") or []
        strangers = [r for r in rows if isinstance(r, dict) and "user_id" in r and r["user_id"] != user]
        if foreign or strangers:
            self.leaks[op] += 1
            if len(self.examples) < 20:
                self.examples.append({"op": op, "user": user, "foreign_tokens": sorted(foreign)[:5],
                                      "foreign_rows": len(strangers)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=60)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    info = header()
    print(f"isolation benchmark, seed {seed}\n{header_line(info)}", flush=True)

    from sidecar_client.asyncio_client import AsyncClient
    from sidecar_integrations.hooks.common import Deadline, fetch_context
    from sidecar_integrations.mcp_server import build_server

    groups = families(rng, options.families)
    users = [user for group in groups for user in group]
    siblings = {user: [other for other in group if other != user] for group in groups for user in group}
    checker = Checker()
    home = Path(tempfile.mkdtemp(prefix="isob-", dir="/tmp"))
    write_config(home, "[context]\nmd_debounce_s = 0.05\n")
    with running_daemon(home) as daemon:
        client = daemon.client
        stored: dict[str, str] = {}
        refused_ids: set[str] = set()
        for user in users:
            tokens = [f"tok{uuid.uuid4().hex[:16]}" for _ in range(2)]
            for token in tokens:
                checker.owner[token] = user
            try:
                client.add(f"{tokens[0]} is a private codeword", user_id=user)
                client.add(f"{tokens[1]} is a private codeword", user_id=user, agent_id="codex")
                stored[user] = tokens[0]
            except RequestFailed as exc:
                if exc.code not in REFUSALS:
                    raise
                refused_ids.add(user)
        for user, token in stored.items():  # MEMORY.md follows the store after a debounce
            def shows_own(user: str = user, token: str = token) -> bool:
                reply = client.call("context", {"query": f"{token} codeword", "user_id": user})
                checker.check("context (warm-up)", user, reply)
                return token in json.dumps(reply, ensure_ascii=False)
            wait_until(shows_own, interval=0.05, what=f"MEMORY.md of {user!r}")

        loop = asyncio.new_event_loop()
        async_client = AsyncClient(daemon.paths, timeout=30.0)
        servers: dict[str, Any] = {}

        async def mcp_call(user: str, query: str) -> Any:
            server = servers.get(user) or servers.setdefault(user, build_server(user, "bench", async_client))
            name, args = rng.choice([("search_memories", {"query": query, "top_k": 50}),
                                     ("list_memories", {"limit": 500}), ("get_context", {"query": query})])
            try:
                return (await server.call_tool(name, args)).model_dump(mode="json")
            except Exception as exc:  # ToolError for a refused id: its text reaches the model, so it is checked
                return str(exc)

        def run_op(op: str, user: str) -> Any:
            query = f"{stored.get(user, 'tok')} private codeword"
            own = {"user_id": user}
            other = rng.choice(siblings[user] or users)
            if op == "search":
                return client.search(query, filters=own, top_k=50)
            if op == "search_and":
                return client.search(query, filters={**own, "AND": [{"user_id": other}]}, top_k=50)
            if op == "search_or":  # narrowing inside the scope is allowed; naming another user is refused
                either = [{"agent_id": "codex"}, {"agent_id": "claude"}]
                return client.search(query, filters={**own, "OR": either if rng.random() < 0.5 else
                                                     [{"user_id": other}, {"agent_id": "codex"}]})
            if op == "get_all":
                return client.get_all(filters=own, top_k=1000)
            if op == "export":
                return client.call("export", {"filters": own, "offset": 0, "limit": 1000})
            if op == "context":
                return client.call("context", {"query": query, "user_id": user})
            if op == "hook":
                return fetch_context(client, query, user_id=user, agent_id="bench", deadline=Deadline(30.0)).text
            return loop.run_until_complete(mcp_call(user, query))

        names, weights = list(OPS), list(OPS.values())
        wall: dict[str, list[float]] = defaultdict(list)
        refused: Counter[str] = Counter()
        cpu_before, client_cpu_before = process_cpu_s(daemon.pid), time.process_time()
        started = time.perf_counter()
        for _ in range(options.queries):
            op = rng.choices(names, weights)[0]
            user = rng.choice(users)
            began = time.perf_counter()
            try:
                reply = run_op(op, user)
            except RequestFailed as exc:
                if exc.code not in REFUSALS:
                    raise
                refused[op] += 1
                reply = exc.message
            wall[op].append((time.perf_counter() - began) * 1000)
            checker.check(op, user, reply)
        elapsed = time.perf_counter() - started
        cpu_after, client_cpu = process_cpu_s(daemon.pid), time.process_time() - client_cpu_before
        async_client.close()
        loop.close()

    queries = sum(len(v) for v in wall.values())
    report = {
        **info, "seed": seed, "families": len(groups), "users": len(users), "ids_refused": len(refused_ids),
        "queries": queries, "leaks": sum(v for k, v in checker.leaks.items() if k in OPS),
        "warm_up_leaks": checker.leaks.get("context (warm-up)", 0), "leaks_by_op": dict(checker.leaks),
        "refused_by_op": dict(refused), "leak_examples": checker.examples, "seconds": round(elapsed, 1),
        "daemon_cpu_ms_per_query": round((cpu_after - cpu_before) * 1000 / queries, 2)
        if cpu_before is not None and cpu_after is not None else None,
        "client_cpu_ms_per_query": round(client_cpu * 1000 / queries, 2),
        "ops": {op: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 2), "p95_ms": round(percentile(v, 0.95), 2)}
                for op, v in sorted(wall.items())},
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if options.json:
        options.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if report["leaks"] or report["warm_up_leaks"] else 0


if __name__ == "__main__":
    sys.exit(main())
