"""The mem0-shaped ops: ``add``, ``search``, ``get``, ``get_all``, ``update``, ``delete``, ``delete_all``, ``history``.

``add(infer=True)`` goes through the write gate (judge, reconcile, apply) when the
daemon has one; ``history`` carries the write gate's provenance next to mem0's rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Handler, OpTable
from sidecar.store.interface import MemoryNotFound, Store
from sidecar_shared.protocol import Code


class Gate(Protocol):
    """What the store ops need of the write gate (:class:`sidecar.learn.service.LearnService`)."""

    def learn_messages(self, messages: str | list[dict[str, str]], *, scope: dict[str, str],
                       metadata: dict[str, Any] | None) -> dict[str, Any]: ...

    def enrich_history(self, memory_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


def scope_key(args: Mapping[str, Any]) -> tuple:
    return ("scope", args.get("user_id"), args.get("agent_id"), args.get("run_id"))


def id_key(args: Mapping[str, Any]) -> tuple:
    return ("memory", args.get("memory_id"))


def _not_found_is_an_answer(handler: Handler) -> Handler:
    def wrapped(args: Mapping[str, Any]) -> Any:
        try:
            return handler(args)
        except MemoryNotFound as exc:
            raise OpError(Code.NOT_FOUND, str(exc)) from None
    return wrapped


def register_store_ops(table: OpTable, store: Store, gate: Gate | None) -> None:
    """Register the mem0-shaped ops on ``table``; ``gate`` is None in a daemon without a write gate."""

    def add(args: Mapping[str, Any]) -> Any:
        scope = A.scope(args)
        metadata = A.mapping(args, "metadata")
        if A.boolean(args, "infer", False):
            if gate is None:
                raise OpError(Code.UNAVAILABLE, "this daemon has no write gate; add with infer=false")
            return gate.learn_messages(A.messages(args), scope=scope, metadata=metadata)
        return store.add(A.messages(args), metadata=metadata, infer=False, **scope)

    def search(args: Mapping[str, Any]) -> Any:
        store.last_client_read = time.monotonic()
        return store.search(A.string(args, "query", max_len=20_000), filters=A.filters(args),
                            top_k=A.integer(args, "top_k", 20, 1, 1000),
                            threshold=A.number(args, "threshold", 0.0, 1.0))

    def get(args: Mapping[str, Any]) -> Any:
        return store.get(A.string(args, "memory_id", max_len=128))

    def get_all(args: Mapping[str, Any]) -> Any:
        return store.get_all(filters=A.filters(args), top_k=A.integer(args, "top_k", 100, 1, 100_000))

    def update(args: Mapping[str, Any]) -> Any:
        text = A.string(args, "text", required=False)
        metadata = A.mapping(args, "metadata")
        if text is None and metadata is None:
            raise A.bad("update needs 'text' or 'metadata'")
        return store.update(A.string(args, "memory_id", max_len=128), text=text, metadata=metadata)

    def delete(args: Mapping[str, Any]) -> Any:
        return store.delete(A.string(args, "memory_id", max_len=128))

    def delete_all(args: Mapping[str, Any]) -> Any:
        return store.delete_all(**A.scope(args))

    def history(args: Mapping[str, Any]) -> Any:
        memory_id = A.string(args, "memory_id", max_len=128)
        entries = list(store.history(memory_id) or [])
        return gate.enrich_history(memory_id, entries) if gate is not None else entries

    ops: list[tuple[str, Callable[[Mapping[str, Any]], Any], bool, Any]] = [
        ("add", add, True, scope_key),
        ("search", search, False, None),
        ("get", get, False, None),
        ("get_all", get_all, False, None),
        ("update", update, True, id_key),
        ("delete", delete, True, id_key),
        ("delete_all", delete_all, True, scope_key),
        ("history", history, False, None),
    ]
    for name, handler, write, key in ops:
        table.register(name, _not_found_is_an_answer(handler), write=write, key=key)
