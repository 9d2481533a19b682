"""The ops on the job queue's dead letter: ``queue.list``, ``queue.retry`` and ``queue.drop``.

``queue.list`` shows the jobs the write gate gave up on (``which="open"``: also
those still waiting); ``queue.retry`` makes them pending again with fresh attempts;
``queue.drop`` erases their text and keeps the row, so the utterance is never queued
again. Both take ``job_ids`` (a list) or ``all=true``, never both; they touch only
dead-lettered jobs and answer with the ids they changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sidecar.learn.queue.dead_letters import LISTED, DeadLetters
from sidecar.rpc import args as A
from sidecar.rpc.dispatch import OpTable

MAX_JOB_IDS = 100_000
MAX_LIST = 10_000


def _targets(args: Mapping[str, Any]) -> list[int] | None:
    """``job_ids`` as a sorted list, or None for ``all=true``."""
    everything = A.boolean(args, "all", False)
    value = args.get("job_ids")
    if everything == (value is not None):
        raise A.bad("give either 'job_ids' (a list of job ids, see queue.list) or 'all': true")
    if everything:
        return None
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise A.bad("argument 'job_ids' must be a non-empty list of positive integers")
    if len(value) > MAX_JOB_IDS:
        raise A.bad(f"argument 'job_ids' holds more than {MAX_JOB_IDS} ids")
    return sorted(set(value))


def register_queue_ops(table: OpTable, dead_letters: DeadLetters, wake: Callable[[], None]) -> None:
    """Register ``queue.list`` (read), ``queue.retry`` and ``queue.drop`` (writes) on ``table``.

    ``wake`` tells the gate worker that jobs are ready (after a retry).
    """

    def list_(args: Mapping[str, Any]) -> dict[str, Any]:
        which = A.string(args, "which", required=False, max_len=16) or "failed"
        if which not in LISTED:
            raise A.bad(f"argument 'which' must be one of {', '.join(LISTED)}")
        jobs = dead_letters.list(which=which, limit=A.integer(args, "limit", 100, 1, MAX_LIST),
                                 offset=A.integer(args, "offset", 0, 0, 1 << 40))
        return {"jobs": jobs, "dead_letter": dead_letters.count()}

    def retry(args: Mapping[str, Any]) -> dict[str, Any]:
        changed = dead_letters.requeue(_targets(args))
        if changed:
            wake()
        return {"retried": len(changed), "job_ids": changed, "dead_letter": dead_letters.count()}

    def drop(args: Mapping[str, Any]) -> dict[str, Any]:
        changed = dead_letters.drop(_targets(args))
        return {"dropped": len(changed), "job_ids": changed, "dead_letter": dead_letters.count()}

    queue_key = lambda _args: ("queue.dead_letter",)  # noqa: E731 - retry and drop never interleave
    table.register("queue.list", list_, write=False)
    table.register("queue.retry", retry, write=True, key=queue_key)
    table.register("queue.drop", drop, write=True, key=queue_key)
