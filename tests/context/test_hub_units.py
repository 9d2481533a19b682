"""Hub pieces without a daemon: 100 regenerations keep the user's text, budget
fitting, and the hook text's single marker pair."""

from __future__ import annotations

import random
from pathlib import Path

from sidecar.context.hub import _fit_budget, _hook_text
from sidecar.context.longterm import LongTermBlock
from sidecar.context.memory_md_edits import MemoryMdSync
from sidecar.context.tokens import estimate_tokens
from sidecar_shared.markers import CONTEXT_BEGIN, CONTEXT_END, MANAGED_BEGIN, MANAGED_END, strip_injected, wrap_context

BEFORE = "# Mine\n\nCall the plumber <b>Monday</b>.\r\nTrailing spaces   \n\n"
AFTER = "\n\n## Later notes\n- not a memory, just mine\n\tindented\n"


def test_user_text_survives_100_regenerations(tmp_path: Path) -> None:
    path = tmp_path / "MEMORY.md"
    path.write_bytes((BEFORE + f"{MANAGED_BEGIN}\n{MANAGED_END}" + AFTER).encode())
    sync = MemoryMdSync(path)
    rng = random.Random(7)
    pool = [{"id": f"{n:08x}-0000-0000-0000-000000000000", "memory": f"Fact {n} " + "z" * rng.randint(0, 300),
             "created_at": f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}"} for n in range(400)]
    writes = 0
    for _ in range(100):
        writes += sync.regenerate(rng.sample(pool, rng.randint(0, 250)))
        raw = path.read_bytes().decode()
        assert raw.startswith(BEFORE) and raw.endswith(AFTER)
        assert sync.on_file_changed().own_write
    assert writes >= 95  # a random subset almost always changes the section


def test_budget_drops_oldest_history_then_summary() -> None:
    history = [{"role": "user", "content": f"m{n} " + "x" * 148} for n in range(5)]  # 101 tokens each
    kept, summary, dropped = _fit_budget(350, "sys", "summary " * 10, history, "q")
    assert dropped == 3 and [m["content"][:2] for m in kept] == ["m3", "m4"] and summary
    cost = estimate_tokens("sys") + estimate_tokens("q") + estimate_tokens("summary " * 10)
    assert cost + sum(estimate_tokens(m["content"]) for m in kept) <= 350
    kept, summary, dropped = _fit_budget(10, "sys", "summary " * 10, history, "q")
    assert kept == [] and summary == "" and dropped == 5
    assert _fit_budget(10_000, "", "", history, "q") == (history, "", 0)


def test_hook_text_has_one_marker_pair() -> None:
    block = LongTermBlock("direct", wrap_context("- I live in Lyon", "direct"), 20, [{"id": "1a2b3c4d"}])
    text = _hook_text(block, "user: we planned a trip", "direct")
    assert text.count(CONTEXT_BEGIN) == 1 and text.count(CONTEXT_END) == 1
    assert "- I live in Lyon" in text and "we planned a trip" in text and "[memory mode: direct]" in text
    assert strip_injected("before " + text + " after") == "before  after"
    assert _hook_text(LongTermBlock("empty", "", 0, []), "", "empty") == ""


class _Md:
    """MEMORY.md stand-in: a fixed text, or failures on demand."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.broken = False

    def text_of(self, user_id: str) -> str:
        if self.broken:
            raise OSError("disk gone")
        return self.text

    def version_of(self, user_id: str) -> str:
        if self.broken:
            raise OSError("disk gone")
        return "v1"

    def flush(self, user_id: str) -> None:
        if self.broken:
            raise OSError("disk gone")

    def stamps_of(self, user_id: str) -> dict[str, str]:
        return {}


class _BrokenSessions:
    def load(self, user_id: str, session_id: str) -> None:
        raise ValueError("unreadable session")


def test_degraded_names_each_failure_of_its_own_call_only() -> None:
    from sidecar.context.hub import ContextRequest, MemoryManager

    md = _Md()
    calls = {"fail": True}

    def search(user_id: str, query: str, k: int) -> list[dict]:
        if calls["fail"]:
            raise ConnectionError("store down")
        return [{"id": "m1", "memory": "Lives in Lyon"}]

    manager = MemoryManager(md=md, sessions=_BrokenSessions(), search=search, gate=None, threshold=0)
    failed = manager.context(ContextRequest(query="where?", user_id="ann", session_id="s1"))
    assert failed["mode"] == "degraded"
    assert failed["degraded"] == ["long-term search: ConnectionError: store down",
                                  "session: ValueError: unreadable session"]
    calls["fail"] = False
    fine = manager.context(ContextRequest(query="where?", user_id="ann"))
    assert fine["mode"] == "rag" and fine["degraded"] == []
    md.broken = True
    unreadable = manager.context(ContextRequest(query="where?", user_id="ann"))
    assert unreadable["degraded"] == ["MEMORY.md: OSError: disk gone"]  # its version and its text: one reason
