"""Ops of the ingest component: ``ingest``, ``watch.status``, the gated ``add`` and ``history``."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.learn.apply.pipeline import Origin, verdict_summary
from sidecar.learn.redact import redact
from sidecar.learn.judge.verdict import JudgeUnavailable
from sidecar.rpc.dispatch import OpTable, scope_key
from sidecar.learn.parse import AGENTS, detect_agent
from sidecar.learn.watch.watcher import source_for
from sidecar_shared.protocol import Code

if TYPE_CHECKING:
    from sidecar.learn.service import IngestComponent

MAX_PATHS = 1000
DEFAULT_WAIT_S = 60.0
_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}


def _path_list(args: Mapping[str, Any]) -> list[Path]:
    value = args.get("paths")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise A.bad("argument 'paths' must be a non-empty list of file paths")
    if len(value) > MAX_PATHS:
        raise A.bad(f"argument 'paths' names more than {MAX_PATHS} files")
    return [Path(os.path.abspath(os.path.expanduser(v))) for v in value]


def _utterances(messages: str | list[dict[str, str]]) -> list[tuple[str, str]]:
    """(role, text) pairs to judge; system and tool messages are not judged."""
    if isinstance(messages, str):
        return [("user", messages)]
    return [(_ROLES[m["role"]], m["content"]) for m in messages if m["role"] in _ROLES]


def register_ingest_ops(table: OpTable, component: IngestComponent) -> None:
    """Register this component's ops on ``table`` (``add`` and ``history`` wrap the store's)."""
    queue, pipeline = component.queue, component.pipeline
    plain_add, plain_history = table.get("add"), table.get("history")

    def ingest(args: Mapping[str, Any]) -> dict[str, Any]:
        paths = _path_list(args)
        agent = A.string(args, "agent", required=False, max_len=64)
        if agent is not None and agent not in AGENTS:
            raise A.bad(f"argument 'agent' must be one of {', '.join(AGENTS)}")
        wait = A.boolean(args, "wait", False)
        timeout = A.number(args, "timeout_s", 0.0, 3600.0)
        timeout = DEFAULT_WAIT_S if timeout is None else timeout
        sources = component.sources()
        plan: list[tuple[Path, str]] = []
        for path in paths:
            if not path.is_file():
                raise OpError(Code.NOT_FOUND, f"no such transcript file: {path}")
            source = source_for(sources, path)
            which = agent or (source.agent if source else None) or detect_agent(path)
            if which is None:
                raise A.bad(f"cannot tell which agent wrote {path}; pass 'agent' ({', '.join(AGENTS)})")
            plan.append((path, which))
        totals = {"files": len(plan), "records": 0, "candidates": 0, "queued": 0, "duplicates": 0, "corrupt": 0}
        job_ids: set[int] = set()
        for path, which in plan:
            scanned = component.scanner.scan(path, which)
            for key in ("records", "candidates", "queued", "duplicates", "corrupt"):
                totals[key] += getattr(scanned, key)
            job_ids.update(scanned.job_ids)
        job_ids.update(queue.open_job_ids(str(p) for p, _ in plan))
        ordered = sorted(job_ids)
        if wait:
            deadline = time.monotonic() + timeout
            pause = 0.02
            while queue.outcomes(ordered)["pending"] and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(0.25, pause * 1.5)
        return {**totals, **queue.outcomes(ordered)}

    def watch_status(args: Mapping[str, Any]) -> dict[str, Any]:
        watcher = component.watcher
        sources = watcher.sources if watcher is not None else []
        files = [{k: f[k] for k in ("path", "agent", "offset", "size", "records", "candidates", "corrupt",
                                    "duplicates", "updated_at")} for f in queue.files() if not f["deleted"]]
        status = component.status()
        return {"watching": watcher is not None,
                "sources": [{"agent": s.agent, "root": str(s.root)} for s in sources],
                "files": files, "queue": status["queue"], "judge": status["judge"], "worker": status["worker"]}

    def add(args: Mapping[str, Any]) -> Any:
        if not A.boolean(args, "infer", False):
            return plain_add.handler(args)
        scope = A.scope(args)
        messages = A.messages(args)
        extra = A.mapping(args, "metadata") or {}
        results: list[dict[str, Any]] = []
        verdicts: list[dict[str, Any]] = []
        context = ""
        for role, raw in _utterances(messages):
            text = redact(raw).text
            origin = Origin(source="api", agent=scope.get("agent_id"), session_id=scope.get("run_id"),
                            metadata={**extra, "learned_from": "api", "role": role})
            try:
                learned = pipeline.learn(text, role=role, context=context, scope=scope, origin=origin)
            except JudgeUnavailable as exc:
                raise OpError(Code.UNAVAILABLE, f"the write-gate judge is unavailable: {exc}") from None
            results += learned.results
            verdicts.append({"role": role, **verdict_summary(learned.verdict)})
            context = f"{role}: {text[-600:]}"
        return {"results": results, "verdicts": verdicts}

    def history(args: Mapping[str, Any]) -> Any:
        entries = plain_history.handler(args)
        memory_id = A.string(args, "memory_id", max_len=128)
        return component.provenance.enrich_history(memory_id, list(entries or []))

    table.register("ingest", ingest, write=True)
    table.register("watch.status", watch_status, write=False)
    table.register("add", add, write=True, key=scope_key)
    table.register("history", history, write=False)
