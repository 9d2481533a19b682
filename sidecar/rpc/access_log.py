"""One log line per request, and the counters ``status`` shows: requests, errors, latency per op.

Everything a client chose (op name, scope ids, request id) is escaped before it
reaches the line, so a newline in an id cannot forge a second log line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sidecar.rpc.latency import OpLatencies
from sidecar_shared.protocol import SCOPE_KEYS, printable

request_log = logging.getLogger("sidecar.request")


def describe_scope(args: dict[str, Any]) -> str:
    """``user_id=alice,agent_id=codex`` from a request's args or its filters, printable; ``-`` if none."""
    source = args.get("filters") if isinstance(args.get("filters"), dict) else args
    parts = [f"{key}={printable(source[key], 80)}" for key in SCOPE_KEYS if isinstance(source.get(key), str)]
    return ",".join(parts) or "-"


class AccessLog:
    """Counts and logs finished requests (any outcome, including refusals)."""

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.latencies = OpLatencies()

    def record(self, op: str, scope: str, started: float, outcome: str, request_id: str | None) -> None:
        """Log one request that started at ``started`` (``time.perf_counter``) and ended now."""
        self.requests += 1
        if outcome not in ("ok", "replayed"):
            self.errors += 1
        millis = (time.perf_counter() - started) * 1000
        name = printable(op, 64)
        self.latencies.record(name, millis)
        request_log.info("op=%s scope=%s dur_ms=%.1f outcome=%s id=%s", name, scope, millis,
                         printable(outcome, 64), printable(request_id, 128) if request_id else None)
