"""Hand edits of MEMORY.md become store edits; our own writes do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.context.memory_md import ManagedSectionError, parse_managed, render_managed, splice
from sidecar.context.memory_md_edits import Debouncer, Edit, MemoryMdSync, diff_edits
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END


def memory(n: int, text: str) -> dict:
    return {"id": f"{n:08x}-0000-0000-0000-000000000000", "memory": text, "created_at": f"2024-01-{n:02d}T00:00:00"}


MEMORIES = [memory(1, "Likes tea"), memory(2, "Works on the sidecar"), memory(3, "Lives in Oslo")]


def edit_file(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture()
def synced(tmp_path: Path) -> MemoryMdSync:
    path = tmp_path / "MEMORY.md"
    path.write_text("# Mine\n\nhand-written notes\n")
    sync = MemoryMdSync(path)
    assert sync.regenerate(MEMORIES) is True
    return sync


def test_diff_add_delete_update() -> None:
    before = parse_managed(render_managed(MEMORIES))
    edited_text = (
        render_managed(MEMORIES)
        .replace("- Likes tea <!-- mem:00000001 -->", "- Likes green tea <!-- mem:00000001 -->")
        .replace("- Lives in Oslo <!-- mem:00000003 -->\n", "")
        .replace(MANAGED_END, "- Has a cat\n" + MANAGED_END)
    )
    edited = parse_managed(edited_text)
    assert before is not None and edited is not None
    assert sorted(diff_edits(before, edited), key=lambda e: e.op) == [
        Edit("add", None, None, "Has a cat"),
        Edit("delete", "00000003", "Lives in Oslo", None),
        Edit("update", "00000001", "Likes tea", "Likes green tea"),
    ]
    assert diff_edits(before, before) == []


def test_own_write_produces_no_edits(synced: MemoryMdSync) -> None:
    change = synced.on_file_changed()
    assert change.own_write and change.edits == [] and change.problem is None
    assert synced.regenerate(MEMORIES) is False  # unchanged content is not rewritten


def test_hand_edits_reported_once(synced: MemoryMdSync) -> None:
    edit_file(synced.path, "- Likes tea <!-- mem:00000001 -->", "- Likes black tea <!-- mem:00000001 -->")
    edit_file(synced.path, "- Works on the sidecar <!-- mem:00000002 -->\n", "")
    edit_file(synced.path, "### General\n", "### General\n- Prefers short answers\n")
    change = synced.on_file_changed()
    assert not change.own_write and change.malformed == []
    assert sorted(change.edits, key=lambda e: e.op) == [
        Edit("add", None, None, "Prefers short answers"),
        Edit("delete", "00000002", "Works on the sidecar", None),
        Edit("update", "00000001", "Likes tea", "Likes black tea"),
    ]
    # A duplicate notification for the same content, or a later unrelated
    # edit, must not repeat the add.
    assert synced.on_file_changed().edits == []
    edit_file(synced.path, "- Lives in Oslo", "- Lives in Bergen")
    assert synced.on_file_changed().edits == [Edit("update", "00000003", "Lives in Oslo", "Lives in Bergen")]


def test_malformed_edit_is_reported_and_deletes_nothing(synced: MemoryMdSync) -> None:
    edit_file(synced.path, "- Likes tea <!-- mem:00000001 -->", "Likes tea <!-- mem:00000001 -->")
    edit_file(synced.path, "- Lives in Oslo <!-- mem:00000003 -->", "- Lives in Oslo <!-- mem:0000zz03 -->")
    edit_file(synced.path, "- Works on the sidecar <!-- mem:00000002 -->\n", "")
    change = synced.on_file_changed()
    assert change.edits == []
    assert sorted((m.reason, m.short_id) for m in change.malformed) == [
        ("damaged id marker", "0000zz03"),
        ("not a list item", "00000001"),
    ]
    # Once the lines are fixed, the held-back delete and the reword come through.
    edit_file(synced.path, "Likes tea <!-- mem:00000001 -->", "- Likes coffee <!-- mem:00000001 -->")
    edit_file(synced.path, "mem:0000zz03", "mem:00000003")
    change = synced.on_file_changed()
    assert change.malformed == []
    assert sorted(change.edits, key=lambda e: e.op) == [
        Edit("delete", "00000002", "Works on the sidecar", None),
        Edit("update", "00000001", "Likes tea", "Likes coffee"),
    ]


def test_unknown_marker_and_missing_section_are_problems_not_edits(synced: MemoryMdSync) -> None:
    edit_file(synced.path, "### General\n", "### General\n- Pasted <!-- mem:abcdef12 -->\n")
    change = synced.on_file_changed()
    assert change.edits == [] and [m.reason for m in change.malformed] == ["unknown memory id"]
    edit_file(synced.path, "- Pasted <!-- mem:abcdef12 -->\n", "")
    assert synced.on_file_changed().edits == []  # removing a line we never rendered deletes nothing

    text = synced.path.read_text()
    synced.path.write_text(text.replace(MANAGED_END, ""))
    change = synced.on_file_changed()
    assert change.edits == [] and change.problem == "managed section end marker missing"
    with pytest.raises(ManagedSectionError):
        synced.regenerate(MEMORIES)
    assert MANAGED_END not in synced.path.read_text()  # damaged file left alone

    synced.path.write_text("# only my text\n")
    assert synced.on_file_changed().problem == "managed section missing"
    assert synced.regenerate(MEMORIES) is True  # a removed section is restored, no deletes
    assert synced.path.read_text().startswith("# only my text\n\n" + MANAGED_BEGIN)
    synced.path.unlink()
    assert synced.on_file_changed().problem == "file missing"


def test_regenerate_preserves_user_text_and_reverting_is_an_edit(synced: MemoryMdSync) -> None:
    text = synced.path.read_text()
    assert text.startswith("# Mine\n\nhand-written notes\n\n" + MANAGED_BEGIN)
    edit_file(synced.path, "- Likes tea <!-- mem:00000001 -->\n", "")
    assert synced.on_file_changed().edits == [Edit("delete", "00000001", "Likes tea", None)]
    synced.path.write_text(text)  # user undoes the deletion
    assert synced.on_file_changed().edits == []  # baseline now lacks the marker: unknown, not re-added
    assert synced.regenerate(MEMORIES[1:]) is True
    assert "Likes tea" not in synced.path.read_text()
    assert synced.on_file_changed().own_write


def test_budget_counts_the_users_own_lines(tmp_path: Path) -> None:
    path = tmp_path / "MEMORY.md"
    path.write_text("".join(f"user line {i}\n" for i in range(30)))
    sync = MemoryMdSync(path, max_lines=40)
    sync.regenerate([memory(i, f"fact {i}") for i in range(1, 28)])
    text = path.read_text()
    assert text.count("\n") <= 40
    assert "more memories not shown (budget)" in text
    assert text.startswith("".join(f"user line {i}\n" for i in range(30)))


def test_fresh_sync_adopts_existing_file_without_edits(tmp_path: Path) -> None:
    path = tmp_path / "MEMORY.md"
    path.write_text(splice(None, render_managed(MEMORIES)))
    change = MemoryMdSync(path).on_file_changed()
    assert change.edits == [] and change.problem is not None


def test_debouncer_coalesces_bursts() -> None:
    debouncer = Debouncer(0.5, max_delay=2.0)
    assert not debouncer.due(0.0)
    debouncer.poke(0.0)
    debouncer.poke(0.3)
    assert not debouncer.due(0.6)
    assert debouncer.due(0.8)
    assert not debouncer.due(0.9) and not debouncer.pending
    for tick in range(0, 25):  # a file that never stops changing
        debouncer.poke(10 + tick * 0.1)
        if debouncer.due(10 + tick * 0.1):
            break
    assert tick == 20
    with pytest.raises(ValueError):
        Debouncer(1.0, max_delay=0.5)


def test_regenerate_defers_while_hand_edits_are_unread(synced: MemoryMdSync) -> None:
    edit_file(synced.path, "- Likes tea", "- Likes mint tea")
    assert synced.regenerate(MEMORIES) is False and synced.deferred
    assert "Likes mint tea" in synced.path.read_text()  # not clobbered
    assert synced.on_file_changed().edits == [Edit("update", "00000001", "Likes tea", "Likes mint tea")]
    updated = [memory(1, "Likes mint tea"), *MEMORIES[1:]]
    assert synced.regenerate(updated) is False and not synced.deferred  # file already matches
    assert synced.regenerate(updated[:2]) is True and "Lives in Oslo" not in synced.path.read_text()
