"""The review ops: ``review.list``, ``review.count``, ``review.accept``, ``review.reject``.

Facts the write gate holds for review (``[gate] mode = "review"``, per source in
``[gate.sources]``) wait in the inbox until one of these ops resolves them. Items
are named by their id or a prefix of at least six of its characters. ``accept``
and ``reject`` take an optional scope: given, the item must belong to it (the MCP
server passes its user, so a tool call cannot resolve another user's facts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.learn.review.inbox import ReviewConflict, ReviewNotFound
from sidecar.ops.store_ops import scope_lock_key
from sidecar.learn.review.resolve import Reviewer
from sidecar.learn.secret_guard import SecretDetected, refuse
from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Handler, OpTable
from sidecar_shared.protocol import SCOPE_KEYS, Code

MAX_PAGE = 1000
MAX_TEXT = 20_000


def _optional_scope(args: Mapping[str, Any]) -> dict[str, str]:
    return {key: value for key in SCOPE_KEYS if (value := A.ident(args, key, required=False))}


def _item_ref(args: Mapping[str, Any]) -> str:
    return str(A.ident(args, "id", max_len=64)).strip()


def item_key(args: Mapping[str, Any]) -> tuple:
    """Accepts and rejects naming the same id (or prefix) run one at a time."""
    return ("review", _item_ref(args).lower())


def _review_errors(handler: Handler) -> Handler:
    def wrapped(args: Mapping[str, Any]) -> Any:
        try:
            return handler(args)
        except ReviewNotFound as exc:
            raise OpError(Code.NOT_FOUND, str(exc)) from None
        except ReviewConflict as exc:
            raise OpError(Code.BAD_REQUEST, str(exc)) from None
    return wrapped


def register_review_ops(table: OpTable, reviewer: Reviewer) -> None:
    """Register the four review ops on ``table``."""

    def review_list(args: Mapping[str, Any]) -> dict[str, Any]:
        return reviewer.list(A.scope(args), limit=A.integer(args, "limit", 50, 1, MAX_PAGE),
                             offset=A.integer(args, "offset", 0, 0, 1 << 40))

    def review_count(args: Mapping[str, Any]) -> dict[str, Any]:
        scope = _optional_scope(args)
        return {"pending": reviewer.count(scope or None), **({"scope": scope} if scope else {})}

    def review_accept(args: Mapping[str, Any]) -> dict[str, Any]:
        text = A.string(args, "text", required=False, max_len=MAX_TEXT)
        try:
            refuse(text or "")  # an edited text is an explicit write, like update
        except SecretDetected as exc:
            raise OpError(Code.SECRET_DETECTED, str(exc)) from None
        return reviewer.accept(_item_ref(args), text=text, scope=_optional_scope(args) or None)

    def review_reject(args: Mapping[str, Any]) -> dict[str, Any]:
        return reviewer.reject(_item_ref(args), scope=_optional_scope(args) or None)

    table.register("review.list", _review_errors(review_list), write=False)
    table.register("review.count", _review_errors(review_count), write=False)
    def item_scope_key(args: Mapping[str, Any]) -> tuple | None:
        """The scope an accept writes to, so it queues behind that scope's writes (None: keep the id key)."""
        return scope_lock_key(reviewer.inbox.find(_item_ref(args)))

    for name, handler in (("review.accept", review_accept), ("review.reject", review_reject)):
        table.register(name, _review_errors(handler), write=True, key=item_key, refine=item_scope_key)
