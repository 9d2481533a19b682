"""A scope's row count is remembered between searches and dropped by any write, from this index or another."""

from __future__ import annotations

import threading
from pathlib import Path

from sidecar.store.keyword import KeywordIndex


def test_scope_sizes_follow_writes_here_and_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "keyword.db"
    with KeywordIndex(path) as index, KeywordIndex(path) as other:
        for n in range(3):
            index.upsert(f"a{n}", f"fact {n}", user_id="alice")
        index.upsert("b0", "fact", user_id="bob")
        conn, where = index._conn(), "r.user_id = ?"
        assert index._scopes.rows(conn, where, ["alice"]) == (3, 4)
        index.delete("a0")  # a write by this index
        assert index._scopes.rows(conn, where, ["alice"]) == (2, 3)
        other.upsert("a9", "fact nine", user_id="alice")  # another connection commits
        assert index._scopes.rows(conn, where, ["alice"]) == (3, 4)
        seen: list[tuple[int, int]] = []
        writer = threading.Thread(target=lambda: index.delete_scope(user_id="bob"))  # this index, another thread
        writer.start()
        writer.join()
        seen.append(index._scopes.rows(conn, where, ["alice"]))
        assert seen == [(3, 3)]
