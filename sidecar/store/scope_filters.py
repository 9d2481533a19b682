"""The scope of a request bounds its results: checks on scope ids and on search filters.

A read names its scope with plain ids at the top of ``filters``
(``{"user_id": "bob"}``); other keys narrow it further (metadata conditions,
mem0's ``AND``/``OR``/``NOT``). Two things in mem0 2.2.1 could widen it instead:

* its ``AND`` merges each condition over the top-level ones, so
  ``{"user_id": "bob", "AND": [{"user_id": "alice"}]}`` searched alice;
* it reads ``"*"`` as "any value" and trims whitespace around ids, so the ids
  ``*`` and ``" alice"`` would reach every user, or alice.

So: a scope id must be a non-empty string that mem0 keeps as it is; a scope key
of the request may not appear again inside the other filters; and every row a
read returns is checked against the scope (:func:`in_scope`) before it leaves
the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sidecar_shared.protocol import SCOPE_KEYS

WILDCARD = "*"


class ScopeError(ValueError):
    """A scope id or a filter that could reach beyond the request's scope (a bad request)."""


def check_scope_id(key: str, value: Any) -> str:
    """``value`` if mem0 stores and matches it exactly as given; else raise :class:`ScopeError`."""
    if not isinstance(value, str) or not value:
        raise ScopeError(f"{key} must be a non-empty string")
    if value == WILDCARD:
        raise ScopeError(f"{key} {WILDCARD!r} is not allowed: the store reads it as 'every {key}'")
    if any(c.isspace() for c in value):
        raise ScopeError(f"{key} {value!r} contains whitespace; the store would not keep it apart from "
                         f"other ids (use e.g. '_' instead)")
    return value


def check_scope(scope: Mapping[str, Any]) -> dict[str, str]:
    """The scope with every id checked (see :func:`check_scope_id`); at least one id."""
    checked = {key: check_scope_id(key, value) for key, value in scope.items() if value is not None}
    unknown = sorted(set(checked) - set(SCOPE_KEYS))
    if unknown:
        raise ScopeError(f"unknown scope key(s): {', '.join(unknown)}")
    if not checked:
        raise ScopeError("at least one of user_id, agent_id, run_id is required")
    return checked


@dataclass(frozen=True)
class BoundFilters:
    """``filters`` split into the request's scope and the conditions that narrow it."""

    scope: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def plain(self) -> bool:
        """True when the filters are the scope alone."""
        return not self.extra

    def as_filters(self) -> dict[str, Any]:
        """The filters to hand to mem0 (scope first)."""
        return {**self.scope, **self.extra}


def bind_filters(filters: Mapping[str, Any]) -> BoundFilters:
    """Split and check search/get_all ``filters``; raise :class:`ScopeError`.

    The top-level scope ids form the scope. A scope key of the scope may not be
    named again at any depth of the other filters (it could only repeat the
    scope or, through mem0's ``AND``, replace it); other scope keys may narrow it.
    """
    if not isinstance(filters, Mapping):
        raise ScopeError("filters must be a map")
    scope = {key: filters[key] for key in SCOPE_KEYS if filters.get(key) is not None}
    for key, value in scope.items():
        if not isinstance(value, str):
            raise ScopeError(f"filters.{key} must be a plain string id (operators cannot widen the scope)")
    scope = check_scope(scope)
    extra = {key: value for key, value in filters.items() if key not in SCOPE_KEYS}
    for key in _keys_named(extra.values()):
        if key in scope:
            raise ScopeError(f"filters name {key} inside {', '.join(sorted(k for k in extra))}; the scope "
                             f"ids go only at the top level of filters")
    return BoundFilters(scope, extra)


def _keys_named(values: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    stack = list(values)
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            found.update(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def in_scope(row: Mapping[str, Any], scope: Mapping[str, str]) -> bool:
    """True when the row (a mem0 result or a payload) carries every id of ``scope``."""
    return all(row.get(key) == value for key, value in scope.items())


def only_in_scope(result: dict[str, Any], scope: Mapping[str, str]) -> dict[str, Any]:
    """``result`` (``{"results": [...]}``) without rows outside ``scope``."""
    rows = result.get("results")
    if isinstance(rows, list):
        result = {**result, "results": [row for row in rows if isinstance(row, Mapping) and in_scope(row, scope)]}
    return result
