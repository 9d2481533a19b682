"""Export and import files: JSON Lines (one memory a line) and a MEMORY.md-style Markdown.

The daemon does the store work (ops ``export`` and ``import``); this module pages
through exports, renders them, and reads an import file into batches that each
fit in one request, remembering which line every record came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sidecar_client.client import Client
from sidecar_shared.protocol import MAX_REQUEST_BYTES

EXPORT_PAGE = 200
IMPORT_BATCH = 200
# Leaves room for the request envelope around the records.
IMPORT_BATCH_BYTES = MAX_REQUEST_BYTES // 2


def iter_export(client: Client, filters: dict[str, str] | None = None, page: int = EXPORT_PAGE) -> Iterator[dict]:
    """Every memory the filters select (all scopes when None), page by page."""
    offset: int | None = 0
    while offset is not None:
        reply = client.call("export", {"filters": filters or None, "offset": offset, "limit": page})
        yield from reply["memories"]
        offset = reply.get("next_offset")


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def render_markdown(records: Iterable[dict[str, Any]]) -> str:
    """A MEMORY.md-style file: ``## user`` then ``### agent`` headings, one bullet per memory."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for record in records:
        user = record.get("user_id") or "(no user)"
        agent = record.get("agent_id") or "(no agent)"
        groups.setdefault(user, {}).setdefault(agent, []).append(record)
    lines = ["# Memory", ""]
    for user in sorted(groups):
        lines += [f"## {user}", ""]
        for agent in sorted(groups[user]):
            lines += [f"### {agent}", ""]
            rows = sorted(groups[user][agent], key=lambda r: r.get("updated_at") or r.get("created_at") or "",
                          reverse=True)
            for record in rows:
                text = " ".join(str(record.get("memory") or "").split())
                lines.append(f"- {text} <!-- mem:{str(record.get('id', ''))[:8]} -->")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@dataclass
class ImportReport:
    """What an import did; ``errors`` carry the 1-based line number of each bad line."""

    lines: int = 0
    added: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "added": self.added, "skipped": self.skipped,
                "failed": len(self.errors), "errors": self.errors}


@dataclass
class Batch:
    records: list[Any] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    size: int = 0
    end_offset: int = 0


def read_batches(handle: BinaryIO, report: ImportReport, max_records: int = IMPORT_BATCH,
                 max_bytes: int = IMPORT_BATCH_BYTES) -> Iterator[Batch]:
    """Parse JSON lines into batches; unparsable lines go to ``report.errors`` right away."""
    batch = Batch()
    offset = 0
    for number, raw in enumerate(handle, start=1):
        offset += len(raw)
        report.lines = number
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            report.errors.append({"line": number, "message": f"not valid JSON: {exc.msg} (column {exc.colno})"})
            continue
        if not isinstance(record, dict):
            report.errors.append({"line": number, "message": "not a JSON object"})
            continue
        if len(raw) > max_bytes:
            report.errors.append({"line": number, "message": f"line is {len(raw)} bytes; at most {max_bytes}"})
            continue
        if batch.records and (len(batch.records) >= max_records or batch.size + len(raw) > max_bytes):
            yield batch
            batch = Batch()
        batch.records.append(record)
        batch.line_numbers.append(number)
        batch.size += len(raw)
        batch.end_offset = offset
    if batch.records:
        yield batch


def import_file(client: Client, path: Path, on_progress: Callable[[int], None] | None = None) -> ImportReport:
    """Send ``path`` to the daemon batch by batch; ``on_progress`` gets bytes consumed so far."""
    report = ImportReport()
    with path.open("rb") as handle:
        for batch in read_batches(handle, report):
            reply = client.call("import", {"records": batch.records})
            report.added += int(reply.get("added", 0))
            report.skipped += int(reply.get("skipped", 0))
            for error in reply.get("errors", []):
                report.errors.append({"line": batch.line_numbers[int(error["index"])],
                                      "message": str(error.get("message"))})
            if on_progress:
                on_progress(batch.end_offset)
    report.errors.sort(key=lambda e: e["line"])
    return report
