"""What the SQLite and PostgreSQL keyword indexes share about a row: the SQL conditions of its
scope, and the digest of its text and scope that :mod:`sidecar.store.keyword_sync` compares with
the store."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sidecar_shared.protocol import SCOPE_KEYS


def row_digest(text: str, user_id: str | None, agent_id: str | None, run_id: str | None) -> str:
    """What must agree between the index and the store for one memory: its text and scope."""
    material = "\x1f".join((text, user_id or "", agent_id or "", run_id or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def scope_conditions(filters: Mapping[str, str], column: str) -> tuple[str, list[str]]:
    """SQL equality conditions, ``column`` formatted with each scope key (e.g. ``"r.{} = ?"``), and their
    values; refuses unknown keys and empty scopes. Shared by the SQLite and PostgreSQL keyword indexes."""
    unknown = set(filters) - set(SCOPE_KEYS)
    if unknown:
        raise ValueError(f"unknown scope filter(s): {sorted(unknown)}")
    keys = [k for k in SCOPE_KEYS if filters.get(k) is not None]
    if not keys:
        raise ValueError("a keyword search or scope delete needs user_id, agent_id or run_id")
    return " AND ".join(column.format(k) for k in keys), [str(filters[k]) for k in keys]

