"""The learning ops: ``ingest`` (read transcripts now), ``ingest.progress``, ``watch.status`` and ``consolidate``.

``ingest`` never waits for the judge in a worker thread: it queues and answers
with the ids of the jobs it covers; a caller that wants to wait polls
``ingest.progress`` with those ids (the client library and ``memctl ingest
--wait`` do), so a long backfill cannot hold a worker.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sidecar.learn.parse import AGENTS, detect_agent
from sidecar.learn.watch.watcher import source_for
from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import OpTable
from sidecar_shared.protocol import Code

if TYPE_CHECKING:
    from sidecar.learn.consolidate.consolidator import Consolidator
    from sidecar.learn.service import LearnService

MAX_PATHS = 1000
MAX_JOB_IDS = 1_000_000
SCAN_COUNTS = ("records", "candidates", "queued", "duplicates", "corrupt")


def _path_list(args: Mapping[str, Any]) -> list[Path]:
    value = args.get("paths")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise A.bad("argument 'paths' must be a non-empty list of file paths")
    if len(value) > MAX_PATHS:
        raise A.bad(f"argument 'paths' names more than {MAX_PATHS} files")
    return [Path(os.path.abspath(os.path.expanduser(v))) for v in value]


def _job_ids(args: Mapping[str, Any]) -> list[int]:
    value = args.get("job_ids")
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise A.bad("argument 'job_ids' must be a list of integers (the ids an ingest reply returned)")
    if len(value) > MAX_JOB_IDS:
        raise A.bad(f"argument 'job_ids' holds more than {MAX_JOB_IDS} ids")
    return sorted(set(value))


def register_learn_ops(table: OpTable, learn: LearnService) -> None:
    """Register ``ingest``, ``ingest.progress`` and ``watch.status`` on ``table``."""

    def ingest(args: Mapping[str, Any]) -> dict[str, Any]:
        paths = _path_list(args)
        agent = A.string(args, "agent", required=False, max_len=64)
        if agent is not None and agent not in AGENTS:
            raise A.bad(f"argument 'agent' must be one of {', '.join(AGENTS)}")
        user = A.ident(args, "user_id", required=False)  # whose facts these files hold (a hook's $SIDECAR_USER)
        if args.get("wait"):
            raise A.bad("the daemon no longer waits inside 'ingest'; poll 'ingest.progress' with the "
                        "returned 'job_ids' (Client.ingest(..., wait=True) does)")
        sources = learn.sources()
        plan: list[tuple[Path, str]] = []
        for path in paths:
            if not path.is_file():
                raise OpError(Code.NOT_FOUND, f"no such transcript file: {path}")
            source = source_for(sources, path)
            which = agent or (source.agent if source else None) or detect_agent(path)
            if which is None:
                raise A.bad(f"cannot tell which agent wrote {path}; pass 'agent' ({', '.join(AGENTS)})")
            plan.append((path, which))
        totals = {"files": len(plan), **{key: 0 for key in SCAN_COUNTS}}
        job_ids: set[int] = set()
        for path, which in plan:
            if user:
                learn.file_users.set(str(path), user)
            scanned = learn.scanner.scan(path, which)
            for key in SCAN_COUNTS:
                totals[key] += getattr(scanned, key)
            job_ids.update(scanned.job_ids)
        job_ids.update(learn.queue.open_job_ids(str(p) for p, _ in plan))
        ordered = sorted(job_ids)
        return {**totals, **learn.queue.outcomes(ordered), "job_ids": ordered}

    def ingest_progress(args: Mapping[str, Any]) -> dict[str, Any]:
        return learn.queue.outcomes(_job_ids(args))

    def watch_status(args: Mapping[str, Any]) -> dict[str, Any]:
        watcher = learn.watcher
        sources = watcher.sources if watcher is not None else []
        files = [{k: f[k] for k in ("path", "agent", "offset", "size", "records", "candidates", "corrupt",
                                    "duplicates", "updated_at")} for f in learn.queue.files() if not f["deleted"]]
        status = learn.status()
        return {"watching": watcher is not None,
                "sources": [{"agent": s.agent, "root": str(s.root)} for s in sources],
                "files": files, "queue": status["queue"], "judge": status["judge"], "worker": status["worker"]}

    table.register("ingest", ingest, write=True)
    table.register("ingest.progress", ingest_progress, write=False)
    table.register("watch.status", watch_status, write=False)


def register_consolidate_op(table: OpTable, consolidator: Consolidator) -> None:
    """Register ``consolidate``: merge restatements and drop stale values inside one scope.

    Keyed like ``add`` on its scope, so it queues behind that scope's writes; ``dry_run``
    returns the plan and changes nothing.
    """
    from sidecar.ops.store_ops import scope_key

    def consolidate(args: Mapping[str, Any]) -> dict[str, Any]:
        return consolidator.run(A.scope(args), dry_run=A.boolean(args, "dry_run", False)).as_dict()

    table.register("consolidate", consolidate, write=True, key=scope_key)
