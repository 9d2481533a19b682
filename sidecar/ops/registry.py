"""Every op the daemon answers, in one place.

=================  =====  ==============================================  =========================
op                 kind   what it does                                     module
=================  =====  ==============================================  =========================
ping               read   liveness, answered on the socket thread          :mod:`sidecar.rpc.server`
status             read   every part's figures                             :mod:`.admin_ops`
export / import    r / w  every memory out with history, and back in       :mod:`.admin_ops`
secrets.*          r / w  scan for / scrub secrets older versions stored   :mod:`.admin_ops`
add                write  verbatim, or through the write gate (infer)      :mod:`.store_ops`
search             read   hybrid (dense + keyword) search of a scope       :mod:`.store_ops`
get / get_all      read   one memory / a scope's memories                  :mod:`.store_ops`
update / delete    write  one memory (history kept)                        :mod:`.store_ops`
delete_all         write  a whole scope                                    :mod:`.store_ops`
history            read   mem0's history with the gate's provenance        :mod:`.store_ops`
ingest             write  read transcript files now, queue their facts     :mod:`.learn_ops`
ingest.progress    read   how far the jobs of an ingest got                :mod:`.learn_ops`
watch.status       read   watched sources and files, queue, judge          :mod:`.learn_ops`
consolidate        write  restatements and stale values of one scope       :mod:`.learn_ops`
queue.*            r / w  list, retry, drop the dead-lettered jobs         :mod:`.queue_ops`
review.*           r / w  list, count, accept, reject held facts           :mod:`.review_ops`
context            read   the messages for an agent's next prompt          :mod:`.context_ops`
session.*          r / w  update, show, list, clear a session's history    :mod:`.context_ops`
=================  =====  ==============================================  =========================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sidecar.context.service import ContextService
from sidecar.learn.service import LearnService
from sidecar.admin.scrub import SecretScrubber
from sidecar.ops.admin_ops import register_admin_ops, register_scrub_ops
from sidecar.ops.context_ops import register_context_ops
from sidecar.ops.learn_ops import register_learn_ops
from sidecar.ops.queue_ops import register_queue_ops
from sidecar.ops.review_ops import register_review_ops
from sidecar.ops.store_ops import register_store_ops
from sidecar.rpc.dispatch import OpTable
from sidecar.store.interface import Store


def build_op_table(*, store: Store, learn: LearnService | None, context: ContextService | None,
                   status: Callable[[], dict[str, Any]], default_user: str,
                   scrubber: SecretScrubber | None = None) -> OpTable:
    """The op table of a daemon with these parts (``learn``/``context`` None: their ops are absent)."""
    table = OpTable()
    register_admin_ops(table, store, status)
    register_store_ops(table, store, learn)
    if scrubber is not None:
        register_scrub_ops(table, scrubber)
    if learn is not None:
        register_learn_ops(table, learn)
        register_queue_ops(table, learn.dead_letters, learn.worker.wake)
        register_review_ops(table, learn.reviewer)
    if context is not None:
        register_context_ops(table, context.hub, default_user)
    return table
