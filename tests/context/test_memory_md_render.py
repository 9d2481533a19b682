"""Rendering, splicing and parsing MEMORY.md's managed section."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from sidecar.context.memory_md import (
    FILE_TITLE,
    ManagedSectionError,
    content_md5,
    parse_managed,
    render_managed,
    splice,
)
from sidecar_shared.files import write_atomic
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END


def memory(n: int, text: str, *, kind: str | None = None, agent: str | None = None, day: int = 1) -> dict:
    record: dict = {
        "id": f"{n:08x}-aaaa-bbbb-cccc-{n:012x}",
        "memory": text,
        "created_at": f"2024-03-{day:02d}T10:00:00-07:00",
        "updated_at": None,
        "user_id": "u1",
    }
    if kind:
        record["metadata"] = {"kind": kind, "source": "test"}
    if agent:
        record["agent_id"] = agent
    return record


def test_groups_newest_first_with_short_id_markers() -> None:
    section = render_managed(
        [
            memory(1, "Old preference", kind="preference", day=1),
            memory(2, "New preference", kind="preference", day=5),
            memory(3, "Coder fact", agent="coder", day=2),
            memory(4, "Loose fact", day=3),
        ]
    )
    lines = section.split("\n")
    assert lines[0] == MANAGED_BEGIN and lines[-1] == MANAGED_END
    assert "### Preference" in lines and "### Agent coder" in lines and "### General" in lines
    assert lines.index("- New preference <!-- mem:00000002 -->") < lines.index("- Old preference <!-- mem:00000001 -->")
    assert lines.index("### General") > lines.index("### Preference")  # catch-all group last
    assert "- Coder fact <!-- mem:00000003 -->" in lines


def test_newest_uses_updated_at_and_parses_offsets() -> None:
    older = memory(1, "Edited later", day=1)
    older["updated_at"] = "2024-03-09T01:00:00+00:00"
    newer = memory(2, "Created mid", day=8)  # 2024-03-08T17:00Z
    lines = render_managed([newer, older]).split("\n")
    assert lines.index("- Edited later <!-- mem:00000001 -->") < lines.index("- Created mid <!-- mem:00000002 -->")


def test_memory_text_cannot_break_the_section() -> None:
    section = render_managed([memory(1, f"multi\nline {MANAGED_END} <!-- mem:deadbeef -->")])
    parsed = parse_managed(splice(None, section))
    assert parsed is not None and not parsed.malformed
    assert [e.short_id for e in parsed.entries] == ["00000001"]
    assert "\n" not in parsed.entries[0].text


def test_budget_truncation_note_keeps_newest() -> None:
    memories = [memory(i, f"fact number {i}", day=i % 28 + 1) for i in range(1, 41)]
    section = render_managed(memories, max_lines=12)
    lines = section.split("\n")
    assert len(lines) <= 12
    parsed = parse_managed(section)
    assert parsed is not None
    shown = len(parsed.entries)
    assert shown >= 6
    assert f"_… {40 - shown} more memories not shown (budget)_" in lines
    newest_days = sorted((i % 28 + 1 for i in range(1, 41)), reverse=True)[:shown]
    assert sorted((int(e.text.split()[-1]) % 28 + 1 for e in parsed.entries), reverse=True) == newest_days


def test_byte_budget_and_no_note_when_everything_fits() -> None:
    memories = [memory(i, "x" * 100) for i in range(1, 30)]
    section = render_managed(memories, max_bytes=1000)
    assert len(section.encode()) + 1 <= 1000
    assert "not shown (budget)" in section
    assert "not shown" not in render_managed(memories[:3])


def test_now_adds_a_stamp_that_parse_ignores() -> None:
    section = render_managed([memory(1, "fact")], now=datetime(2024, 5, 6, 7, 8))
    assert "2024-05-06 07:08" in section
    parsed = parse_managed(section)
    assert parsed is not None and not parsed.malformed and len(parsed.entries) == 1


def test_user_text_survives_100_regenerations_byte_for_byte() -> None:
    before = "# My notes\r\n\r\nKeep   this\ttext; trailing spaces   \n\n"
    after = "\n## After the section\nünïcödé ✓ \r\nno final newline"
    text = before + render_managed([memory(1, "first")]) + after
    for round_number in range(100):
        memories = [memory(i, f"fact {i} v{round_number}") for i in range(1, round_number % 7 + 2)]
        text = splice(text, render_managed(memories))
        assert text.startswith(before) and text.endswith(after)
    assert "fact 1 v99" in text


def test_splice_appends_or_creates() -> None:
    section = render_managed([memory(1, "fact")])
    assert splice(None, section) == f"{FILE_TITLE}\n\n{section}\n"
    assert splice("# Notes\nmine", section) == f"# Notes\nmine\n\n{section}\n"
    assert splice("# Notes\n", section) == f"# Notes\n\n{section}\n"
    with pytest.raises(ManagedSectionError):
        splice(f"x\n{MANAGED_BEGIN}\n- y\n", section)
    with pytest.raises(ValueError):
        splice("x", "not a section")


def test_parse_reports_malformed_lines_with_line_numbers() -> None:
    text = "\n".join(
        [
            "# title",
            MANAGED_BEGIN,
            "### Group",
            "- good <!-- mem:0000000a -->",
            "plain text without bullet",
            "- <!-- mem:0000000b -->",
            "- broken id <!-- mem:xyz -->",
            "- dup <!-- mem:0000000a -->",
            "- new memory",
            "_… 3 more memories not shown (budget)_",
            MANAGED_END,
        ]
    )
    parsed = parse_managed(text)
    assert parsed is not None and parsed.complete
    assert [(e.short_id, e.text, e.line) for e in parsed.entries] == [("0000000a", "good", 4), (None, "new memory", 9)]
    reasons = {m.line: (m.reason, m.short_id) for m in parsed.malformed}
    assert reasons == {
        5: ("not a list item", None),
        6: ("empty memory text", "0000000b"),
        7: ("damaged id marker", "xyz"),
        8: ("duplicate id marker", "0000000a"),
    }
    assert parse_managed("no section here") is None
    unterminated = parse_managed(f"{MANAGED_BEGIN}\n- a <!-- mem:0000000a -->\n")
    assert unterminated is not None and not unterminated.complete


def test_write_atomic_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "MEMORY.md"
    write_atomic(target, "one\r\n")
    assert target.read_bytes() == b"one\r\n"
    os.chmod(target, 0o600)
    write_atomic(target, "two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert content_md5("two") == "b8a9f715dbb64fd5c56e7783c6820a61"
