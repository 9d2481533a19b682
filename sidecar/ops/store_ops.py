"""The mem0-shaped ops: ``add``, ``search``, ``get``, ``get_all``, ``update``, ``delete``, ``delete_all``, ``history``,
and ``restore`` (undo a memory's latest UPDATE or DELETE, :mod:`sidecar.ops.restore`).

Every op naming a memory takes its full id or a unique prefix of 6+ characters
(:mod:`sidecar.ops.memory_ids`); an unknown id is ``not_found``, an ambiguous prefix ``bad_request``.

``add(infer=True)`` goes through the write gate (judge, reconcile, apply) when the
daemon has one; ``history`` carries the write gate's provenance next to mem0's rows.
``add(infer=False)`` and ``update`` refuse text or metadata holding a secret
(``secret_detected``, naming its kind): the caller asked to store exactly that text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sidecar.learn.secret_guard import SecretDetected, refuse, refuse_messages, refuse_metadata
from sidecar.ops.memory_ids import resolve
from sidecar.ops.restore import restore as restore_memory
from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.rpc.dispatch import Handler, OpTable
from sidecar.store.interface import MemoryNotFound, Store
from sidecar_shared.protocol import SCOPE_KEYS, Code


class Gate(Protocol):
    """What the store ops need of the write gate (:class:`sidecar.learn.service.LearnService`)."""

    def learn_messages(self, messages: str | list[dict[str, str]], *, scope: dict[str, str],
                       metadata: dict[str, Any] | None) -> dict[str, Any]: ...

    def enrich_history(self, memory_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


def scope_lock_key(scope: Mapping[str, Any]) -> tuple:
    """The serialisation key of writes to one (user_id, agent_id, run_id) scope."""
    return ("scope", *(scope.get(key) or None for key in SCOPE_KEYS))


def scope_key(args: Mapping[str, Any]) -> tuple:
    """Key of ``add``/``delete_all``: their scope, checked first (a list as user_id is refused here)."""
    return scope_lock_key(A.scope(args))


def id_key(args: Mapping[str, Any]) -> tuple:
    """Key of ``update``/``delete`` until a worker looks up the memory's scope (see ``memory_scope_key``)."""
    return ("memory", A.ident(args, "memory_id", max_len=128))


def _not_found_is_an_answer(handler: Handler) -> Handler:
    def wrapped(args: Mapping[str, Any]) -> Any:
        try:
            return handler(args)
        except MemoryNotFound as exc:
            raise OpError(Code.NOT_FOUND, str(exc)) from None
        except SecretDetected as exc:  # explicit writes refuse secrets (sidecar.learn.secret_guard)
            raise OpError(Code.SECRET_DETECTED, str(exc)) from None
    return wrapped


def register_store_ops(table: OpTable, store: Store, gate: Gate | None) -> None:
    """Register the mem0-shaped ops on ``table``; ``gate`` is None in a daemon without a write gate."""

    def add(args: Mapping[str, Any]) -> Any:
        scope = A.scope(args)
        metadata = A.mapping(args, "metadata")
        refuse_metadata(metadata)
        if A.boolean(args, "infer", False):
            if gate is None:
                raise OpError(Code.UNAVAILABLE, "this daemon has no write gate; add with infer=false")
            return gate.learn_messages(A.messages(args), scope=scope, metadata=metadata)
        messages = A.messages(args)
        refuse_messages(messages)
        return store.add(messages, metadata=metadata, infer=False, **scope)

    def search(args: Mapping[str, Any]) -> Any:
        store.last_client_read = time.monotonic()
        return store.search(A.string(args, "query", max_len=20_000), filters=A.filters(args),
                            top_k=A.integer(args, "top_k", 20, 1, 1000),
                            threshold=A.number(args, "threshold", 0.0, 1.0))

    def get(args: Mapping[str, Any]) -> Any:
        try:
            return store.get(resolve(store, A.ident(args, "memory_id", max_len=128)))
        except OpError as exc:
            if exc.code == Code.NOT_FOUND:
                return None  # mem0's get answers None for an unknown id
            raise

    def get_all(args: Mapping[str, Any]) -> Any:
        return store.get_all(filters=A.filters(args), top_k=A.integer(args, "top_k", 100, 1, 100_000))

    def update(args: Mapping[str, Any]) -> Any:
        text = A.string(args, "text", required=False)
        metadata = A.mapping(args, "metadata")
        if text is None and metadata is None:
            raise A.bad("update needs 'text' or 'metadata'")
        refuse(text or "")
        refuse_metadata(metadata)
        memory_id = resolve(store, A.ident(args, "memory_id", max_len=128))
        return {**store.update(memory_id, text=text, metadata=metadata), "id": memory_id,
                **({"memory": text} if text is not None else {})}

    def delete(args: Mapping[str, Any]) -> Any:
        memory_id = resolve(store, A.ident(args, "memory_id", max_len=128))
        return {**store.delete(memory_id), "id": memory_id}

    def delete_all(args: Mapping[str, Any]) -> Any:
        scope = A.scope(args)
        before = store.newest(scope, 1)[1]
        return {**store.delete_all(**scope), "deleted": before}

    def history(args: Mapping[str, Any]) -> Any:
        memory_id = resolve(store, A.ident(args, "memory_id", max_len=128), deleted=True)
        entries = list(store.history(memory_id) or [])
        return gate.enrich_history(memory_id, entries) if gate is not None else entries

    def restore(args: Mapping[str, Any]) -> Any:
        memory_id = resolve(store, A.ident(args, "memory_id", max_len=128), deleted=True)
        given = {key: A.ident(args, key, required=False) for key in SCOPE_KEYS}
        return restore_memory(store, memory_id, {k: v for k, v in given.items() if v})

    def memory_scope_key(args: Mapping[str, Any]) -> tuple | None:
        """The scope key of the memory an update/delete changes, so it queues behind that scope's writes
        instead of blocking a worker on the store's scope lock; None (keep the id key) if it is gone."""
        try:
            row = store.get(resolve(store, A.ident(args, "memory_id", max_len=128)))
        except OpError:
            return None  # the handler answers not_found / ambiguous
        return scope_lock_key(row) if row else None

    ops: list[tuple[str, Callable[[Mapping[str, Any]], Any], bool, Any]] = [
        ("add", add, True, scope_key),
        ("search", search, False, None),
        ("get", get, False, None),
        ("get_all", get_all, False, None),
        ("update", update, True, id_key),
        ("delete", delete, True, id_key),
        ("delete_all", delete_all, True, scope_key),
        ("history", history, False, None),
        ("restore", restore, True, id_key),
    ]
    for name, handler, write, key in ops:
        refine = memory_scope_key if key is id_key else None
        table.register(name, _not_found_is_an_answer(handler), write=write, key=key, refine=refine)
