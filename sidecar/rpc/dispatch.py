"""The op table: an op's name → its handler, its kind and its serialisation key; errors → stable codes.

Each op is registered once (a second registration of a name is a bug and raises),
with its kind (read or write) and, for writes, a serialisation key: writes with
the same key never run at the same time, so two identical adds to one scope
cannot race past the duplicate check. A key function checks the arguments it
reads (raising :class:`OpError`), because it runs before the op does. An op may
also name a ``refine`` function, run in a worker just before the op, that turns
its key into a finer one found in the store (the scope of the memory an update
changes). Which ops exist is decided in one place, :mod:`sidecar.ops.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sidecar.rpc.args import OpError
from sidecar_shared.protocol import Code

Handler = Callable[[Mapping[str, Any]], Any]
KeyFn = Callable[[Mapping[str, Any]], tuple | None]


@dataclass(frozen=True)
class Op:
    name: str
    handler: Handler
    write: bool
    key: KeyFn | None = None
    refine: KeyFn | None = None


class OpTable:
    """The ops the daemon answers in its worker pool (``ping`` is answered by the socket thread)."""

    def __init__(self) -> None:
        self._ops: dict[str, Op] = {}

    def register(self, name: str, handler: Handler, *, write: bool, key: KeyFn | None = None,
                 refine: KeyFn | None = None) -> None:
        if name in self._ops:
            raise ValueError(f"op {name!r} is registered twice")
        self._ops[name] = Op(name, handler, write, key, refine)

    def get(self, name: str) -> Op | None:
        return self._ops.get(name)

    def names(self) -> list[str]:
        return sorted(self._ops)


def op_key(op: Op, args: Mapping[str, Any]) -> Hashable | None:
    """The op's serialisation key for ``args``; bad arguments raise :class:`OpError`, never anything else."""
    if op.key is None:
        return None
    try:
        key = op.key(args)
        hash(key)
    except OpError:
        raise
    except Exception as exc:  # a key function is ours, but the arguments are not
        raise OpError(Code.BAD_REQUEST, f"the arguments of {op.name!r} cannot be used: {exc.__class__.__name__}") from None
    return key


def run(op: Op, args: Mapping[str, Any]) -> Any:
    """Run ``op``; every failure becomes an :class:`OpError` with a stable code."""
    try:
        return op.handler(args)
    except OpError:
        raise
    except ValueError as exc:
        text = str(exc)
        code = Code.NOT_FOUND if "not found" in text.lower() else Code.BAD_REQUEST
        raise OpError(code, text) from None
    except Exception as exc:  # mem0/Chroma raise many types; the daemon must stay up
        code = getattr(exc, "wire_code", Code.STORE_ERROR)  # StoreUnavailable: store_unavailable (retry later)
        raise OpError(code, f"{exc.__class__.__name__}: {exc}") from None
