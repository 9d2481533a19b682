"""Op handlers: validate a request's arguments and run it against the store.

Each op is registered with its kind (read or write) and, for writes, a
serialisation key: writes with the same key never run at the same time, so two
identical adds to one scope cannot race past the duplicate check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import time
from dataclasses import dataclass
from typing import Any

from sidecar.rpc import args as A
from sidecar.rpc.args import OpError
from sidecar.store.memory_store import MemoryNotFound, MemoryStore
from sidecar_shared.protocol import Code

Handler = Callable[[Mapping[str, Any]], Any]
KeyFn = Callable[[Mapping[str, Any]], tuple | None]


@dataclass(frozen=True)
class Op:
    name: str
    handler: Handler
    write: bool
    key: KeyFn | None = None


def scope_key(args: Mapping[str, Any]) -> tuple:
    return ("scope", args.get("user_id"), args.get("agent_id"), args.get("run_id"))


def id_key(args: Mapping[str, Any]) -> tuple:
    return ("memory", args.get("memory_id"))


class OpTable:
    """The registry of ops the daemon answers in its worker pool."""

    def __init__(self) -> None:
        self._ops: dict[str, Op] = {}

    def register(self, name: str, handler: Handler, *, write: bool, key: KeyFn | None = None) -> None:
        self._ops[name] = Op(name, handler, write, key)

    def get(self, name: str) -> Op | None:
        return self._ops.get(name)

    def names(self) -> list[str]:
        return sorted(self._ops)


def run(op: Op, args: Mapping[str, Any]) -> Any:
    """Run ``op``; every failure becomes an :class:`OpError` with a stable code."""
    try:
        return op.handler(args)
    except OpError:
        raise
    except MemoryNotFound as exc:
        raise OpError(Code.NOT_FOUND, str(exc)) from None
    except ValueError as exc:
        text = str(exc)
        code = Code.NOT_FOUND if "not found" in text.lower() else Code.BAD_REQUEST
        raise OpError(code, text) from None
    except Exception as exc:  # mem0/Chroma raise many types; the daemon must stay up
        raise OpError(Code.STORE_ERROR, f"{exc.__class__.__name__}: {exc}") from None


def register_store_ops(table: OpTable, store: MemoryStore) -> None:
    """The mem0-shaped ops: add, search, get, get_all, update, delete, delete_all, history."""

    def add(args: Mapping[str, Any]) -> Any:
        scope = A.scope(args)
        return store.add(A.messages(args), metadata=A.mapping(args, "metadata"),
                         infer=A.boolean(args, "infer", False), **scope)

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
        return store.history(A.string(args, "memory_id", max_len=128))

    table.register("add", add, write=True, key=scope_key)
    table.register("search", search, write=False)
    table.register("get", get, write=False)
    table.register("get_all", get_all, write=False)
    table.register("update", update, write=True, key=id_key)
    table.register("delete", delete, write=True, key=id_key)
    table.register("delete_all", delete_all, write=True, key=scope_key)
    table.register("history", history, write=False)
