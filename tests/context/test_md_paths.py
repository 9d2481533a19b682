"""One MEMORY.md per user id, private on disk, and files of the old naming carried over.

Before issue 14, ``alice.`` and ``alice`` (or ``a/b`` and ``a_b``, ``../../x`` and
``x``) shared one MEMORY.md, and the second user's ``context`` showed the first
user's memories.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.config.settings import Settings, load_settings
from sidecar.context.md_paths import adopt_legacy_folder, memory_root, user_file
from sidecar.context.md_sync import MemoryMdService, TargetConflict
from sidecar.context.memory_md_edits import MemoryMdSync
from sidecar.context.sessions import SessionManager
from sidecar.context.summarize import ExtractiveSummariser
from sidecar.testing.fake_store import FakeStore
from sidecar_shared.markers import MANAGED_BEGIN, MANAGED_END

PAIRS = [("alice", "alice."), ("a_b", "a/b"), ("x", "../../x"), ("Bob", "bob"), ("é", "e\u0301")]


@pytest.fixture
def settings(isolated_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def service(settings: Settings):
    store = FakeStore()
    md = MemoryMdService(store, settings)
    store.subscribe(md.on_store_change)
    yield store, md


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_colliding_ids_get_their_own_file_and_their_own_memories(service, settings: Settings, first: str,
                                                                 second: str) -> None:
    store, md = service
    store.add(f"Only {first!r} may read this", user_id=first)
    store.add(f"Only {second!r} may read this", user_id=second)
    md.tick(force=True)
    one, two = md.text_of(first), md.text_of(second)
    assert f"Only {first!r}" in one and f"Only {second!r}" not in one
    assert f"Only {second!r}" in two and f"Only {first!r}" not in two
    paths = {user_file(settings, first), user_file(settings, second)}
    assert len(paths) == 2
    for path in paths:
        assert path.resolve().parent.parent == memory_root(settings).resolve()


def test_memory_md_and_its_folders_are_private(service, settings: Settings) -> None:
    store, md = service
    store.add("My bank is in Zurich", user_id="carol")
    md.tick(force=True)
    path = user_file(settings, "carol")
    assert "Zurich" in md.text_of("carol")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(memory_root(settings)) == 0o700


def test_an_existing_0644_memory_md_is_tightened_on_the_next_write(tmp_path: Path) -> None:
    project = tmp_path / "project" / "deep"
    path = project / "MEMORY.md"
    sync = MemoryMdSync(path)
    sync.regenerate([{"id": "00000001-0000", "memory": "Uses tabs", "created_at": "2024-01-01T00:00:00"}])
    assert mode(path) == 0o600 and mode(project) == 0o700  # a folder the daemon created
    path.chmod(0o644)
    sync.regenerate([{"id": "00000002-0000", "memory": "Uses spaces", "created_at": "2024-01-02T00:00:00"}])
    assert mode(path) == 0o600 and "Uses spaces" in path.read_text()


def test_session_files_and_their_folder_are_private(tmp_path: Path) -> None:
    sessions = SessionManager(tmp_path / "sessions", ExtractiveSummariser(lambda text: 0.5))
    sessions.add_message("../x", "../../etc/passwd", "user", "my PIN is in the drawer")
    (path,) = (p for p in (tmp_path / "sessions").rglob("*") if p.is_file())
    assert path == sessions.path_for("../x", "../../etc/passwd") and mode(path) == 0o600
    assert all(mode(folder) == 0o700 for folder in path.parents if tmp_path / "sessions" in (folder, *folder.parents))


def test_two_scopes_never_share_one_file(service, settings: Settings) -> None:
    _, md = service
    shared = settings.paths.data_dir / "shared" / "MEMORY.md"
    md._add_target(shared, {"user_id": "alice"})
    assert md._add_target(shared, {"user_id": "alice"}).scope == {"user_id": "alice"}
    with pytest.raises(TargetConflict):
        md._add_target(shared, {"user_id": "bob"})


def write_legacy(settings: Settings, name: str, notes: str) -> Path:
    folder = memory_root(settings) / name
    folder.mkdir(parents=True)
    (folder / "MEMORY.md").write_text(f"{notes}\n\n{MANAGED_BEGIN}\n- stale line\n{MANAGED_END}\n")
    (folder / "MEMORY.md").chmod(0o644)
    return folder


def test_a_folder_the_id_owned_under_the_old_naming_moves_to_the_new_name(service, settings: Settings) -> None:
    store, md = service
    old = write_legacy(settings, "Dana.Smith", "Dana's own notes")
    store.add("Dana plays the oboe", user_id="Dana.Smith")
    md.tick(force=True)
    text = md.text_of("Dana.Smith")
    assert not old.exists() and user_file(settings, "Dana.Smith").parent.name.startswith("Dana.Smith~")
    assert "Dana's own notes" in text and "Dana plays the oboe" in text and "stale line" not in text
    assert mode(user_file(settings, "Dana.Smith")) == 0o600


def test_a_folder_reached_only_by_rewriting_the_id_stays_with_the_id_that_spells_it(service,
                                                                                   settings: Settings) -> None:
    _, md = service
    old = write_legacy(settings, "erin", "notes of whoever wrote them")
    assert adopt_legacy_folder(settings, "erin.") is None and adopt_legacy_folder(settings, "Erin") is None
    assert "notes of whoever" not in md.text_of("erin.")
    assert old.exists() and "notes of whoever" in md.text_of("erin")  # plain ids keep their old name


def test_a_folder_in_use_is_not_moved(settings: Settings) -> None:
    old = write_legacy(settings, "Fay", "in use")
    assert adopt_legacy_folder(settings, "Fay", in_use=[old / "MEMORY.md"]) is None
    assert old.exists()
    assert adopt_legacy_folder(settings, "Fay") == user_file(settings, "Fay").parent
