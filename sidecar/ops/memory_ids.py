"""Memory ids as users type them: the full id, or a unique prefix of at least six characters.

``memctl list`` prints eight characters of each id; every op that names a memory
(``get``, ``update``, ``delete``, ``history``, ``restore``) resolves what it was
given here, once, so the CLI, the client library and the MCP server all accept it.
"""

from __future__ import annotations

from sidecar.rpc.args import OpError
from sidecar.store.interface import Store
from sidecar_shared.protocol import Code

MIN_PREFIX = 6
SHOWN = 5  # candidates named in an "ambiguous" error


def resolve(store: Store, given: str, *, deleted: bool = False) -> str:
    """The full id ``given`` names; ``deleted`` also accepts memories only history remembers.

    Raises ``OpError``: ``not_found`` when nothing matches (or the prefix is shorter
    than six characters), ``bad_request`` naming the candidates when several do.
    """
    if store.get(given) is not None:
        return given
    if len(given) < MIN_PREFIX:
        raise OpError(Code.NOT_FOUND, f"no memory with id {given} (an id prefix needs at least {MIN_PREFIX} characters)")
    matches = store.ids_with_prefix(given)
    if not deleted:
        matches = [memory_id for memory_id in matches if store.get(memory_id) is not None]
    if given in matches:
        return given
    if not matches:
        raise OpError(Code.NOT_FOUND, f"no memory with id {given}")
    if len(matches) > 1:
        shown = ", ".join(m[:12] + "…" for m in matches[:SHOWN]) + (" and more" if len(matches) > SHOWN else "")
        raise OpError(Code.BAD_REQUEST,
                      f"id prefix {given} is ambiguous: it matches {len(matches)} memories ({shown}); give more characters")
    return matches[0]
