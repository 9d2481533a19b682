"""Human-readable output for ``memctl``: compact tables, no dependencies."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sidecar_shared.protocol import SCOPE_KEYS


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], widths: Sequence[int] | None = None) -> str:
    """A plain table; ``widths`` caps each column (0 = no cap)."""
    body = [[str(cell) if cell is not None else "" for cell in row] for row in rows]
    if widths:
        body = [[shorten(cell, w) if w else cell for cell, w in zip(row, widths)] for row in body]
    sizes = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(s) for h, s in zip(headers, sizes)).rstrip()
    rule = "  ".join("-" * s for s in sizes)
    rendered = [line, rule] + ["  ".join(c.ljust(s) for c, s in zip(r, sizes)).rstrip() for r in body]
    return "\n".join(rendered)


def dense_of(memory: dict[str, Any]) -> float | None:
    """A search hit's embedding closeness: ``score_details.dense`` of a hybrid hit, else mem0's own score."""
    details = memory.get("score_details")
    if isinstance(details, dict):
        value = details.get("dense")
        return float(value) if isinstance(value, (int, float)) else None
    score = memory.get("score")
    return float(score) if isinstance(score, (int, float)) else None


def _score_cells(memory: dict[str, Any]) -> list[str]:
    """fused, dense, keyword (see ``memctl search --help``)."""
    details = memory.get("score_details")
    if not isinstance(details, dict):  # dense-only search: mem0's score is the closeness itself
        return ["-", f"{memory.get('score', 0):.3f}", "-"]
    keyword = details.get("keyword")
    dense = dense_of(memory)
    return [f"{memory.get('score', 0):.3f}", f"{dense:.3f}" if dense is not None else "-",
            f"{keyword:.2f}" if isinstance(keyword, (int, float)) and keyword else "-"]


def memory_rows(memories: Sequence[dict[str, Any]], with_score: bool = False) -> str:
    if not memories:
        return "(no memories)"
    headers = ["id", "memory", "scope", "updated"]
    if with_score:
        headers[:0] = ["fused", "dense", "keyword"]
    rows = []
    for m in memories:
        scope = ",".join(f"{k[0]}:{m[k]}" for k in SCOPE_KEYS if m.get(k))
        row = [m.get("id", "")[:8], m.get("memory", ""), scope, (m.get("updated_at") or m.get("created_at") or "")[:19]]
        if with_score:
            row[:0] = _score_cells(m)
        rows.append(row)
    return table(rows, headers, [0, 0, 0, 0, 70, 30, 19] if with_score else [0, 70, 30, 19])


def key_values(data: dict[str, Any]) -> str:
    width = max((len(k) for k in data), default=0)
    return "\n".join(f"{k.ljust(width)}  {v if not isinstance(v, (dict, list)) else json.dumps(v, default=str)}"
                     for k, v in data.items())
