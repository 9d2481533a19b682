"""The operating ops: ``status`` (every part's figures), ``export``, ``import`` and the secret scrub."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sidecar.admin.export_import import MAX_EXPORT_PAGE, MAX_IMPORT_BATCH, export_page, import_records
from sidecar.admin.scrub import SecretScrubber
from sidecar.rpc import args as A
from sidecar.rpc.dispatch import OpTable
from sidecar.store.interface import Store
from sidecar_shared.protocol import SCOPE_KEYS


def export_filters(args: Mapping[str, Any]) -> dict[str, str]:
    """Optional scope filters: unlike search, export may cover every scope."""
    value = A.mapping(args, "filters") or {}
    unknown = sorted(set(value) - set(SCOPE_KEYS))
    if unknown:
        raise A.bad(f"filters may only name {', '.join(SCOPE_KEYS)}; got {', '.join(unknown)}")
    for key, item in value.items():
        if item is not None and (not isinstance(item, str) or not item):
            raise A.bad(f"filters.{key} must be a non-empty string")
    return {key: item for key, item in value.items() if item}


def register_admin_ops(table: OpTable, store: Store, status: Callable[[], dict[str, Any]]) -> None:
    """Register ``status`` (read), ``export`` (read) and ``import`` (write) on ``table``."""

    def status_op(args: Mapping[str, Any]) -> dict[str, Any]:
        return status()

    def export(args: Mapping[str, Any]) -> dict[str, Any]:
        return export_page(store, export_filters(args), A.integer(args, "offset", 0, 0, 1 << 40),
                           A.integer(args, "limit", 200, 1, MAX_EXPORT_PAGE))

    def import_(args: Mapping[str, Any]) -> dict[str, Any]:
        records = args.get("records")
        if not isinstance(records, list) or not records:
            raise A.bad("argument 'records' must be a non-empty list of exported memories")
        if len(records) > MAX_IMPORT_BATCH:
            raise A.bad(f"at most {MAX_IMPORT_BATCH} records per import request, got {len(records)}")
        return import_records(store, records)

    table.register("status", status_op, write=False)
    table.register("export", export, write=False)
    table.register("import", import_, write=True)


def register_scrub_ops(table: OpTable, scrubber: SecretScrubber) -> None:
    """``secrets.scan`` (read: where secrets stored by older versions are) and ``secrets.scrub`` (write)."""
    table.register("secrets.scan", lambda args: scrubber.scan(cached=A.boolean(args, "cached", False)), write=False)
    table.register("secrets.scrub", lambda args: scrubber.scrub(), write=True)
