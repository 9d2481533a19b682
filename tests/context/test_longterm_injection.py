"""Direct below the token threshold, RAG at or above it, degraded on failure."""

from __future__ import annotations

from sidecar.context.longterm import MEMORY_NOTE, MEMORY_TOKEN_THRESHOLD, LongTermInjector, direct_content
from sidecar.context.memory_md import render_managed, splice
from sidecar.context.tokens import estimate_tokens
from sidecar_shared.markers import CONTEXT_BEGIN, CONTEXT_END


def memory(n: int, text: str) -> dict:
    return {"id": f"{n:08x}-0000-0000-0000-000000000000", "memory": text, "created_at": f"2024-01-{n % 28 + 1:02d}"}


def memory_md(memories: list[dict]) -> str:
    return splice("# Notes\nuser text\n", render_managed(memories, max_lines=10_000, max_bytes=10_000_000))


class Source:
    """MEMORY.md text provider that counts reads."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        return self.text


class Search:
    def __init__(self, hits: list[dict] | None = None, fail: bool = False) -> None:
        self.hits = hits or []
        self.fail = fail
        self.calls: list[tuple[str, int]] = []

    def __call__(self, query: str, k: int) -> list[dict]:
        self.calls.append((query, k))
        if self.fail:
            raise RuntimeError("store down")
        return self.hits[:k]


def test_direct_below_threshold_injects_the_whole_file_without_markers() -> None:
    search = Search()
    injector = LongTermInjector(Source(memory_md([memory(1, "Likes tea"), memory(2, "Uses vim")])), search)
    block = injector.block("what editor?")
    assert block.mode == "direct" and search.calls == []
    assert block.text.startswith(CONTEXT_BEGIN + "\n[memory mode: direct]") and block.text.endswith(CONTEXT_END)
    assert "- Likes tea" in block.text and "- Uses vim" in block.text
    assert "# Notes\nuser text" in block.text  # the user's own notes around the managed section
    assert "mem:" not in block.text and "agent-memory:begin" not in block.text
    assert block.tokens == estimate_tokens(block.text)
    assert {m["id"] for m in block.memories} == {"00000001", "00000002"}


def test_user_notes_count_in_the_direct_rag_decision() -> None:
    small = memory_md([memory(1, "Likes tea")])
    notes = "# Notes\n" + "A long hand-written note about my garden. " * 40 + "\n"
    with_notes = small.replace("# Notes\nuser text\n", notes)
    threshold = estimate_tokens(direct_content(small)[0]) + 50
    assert LongTermInjector(Source(small), Search(), threshold=threshold).block("q").mode == "direct"
    hits = [{"id": "a", "memory": "Likes tea"}]
    assert LongTermInjector(Source(with_notes), Search(hits), threshold=threshold).block("q").mode == "rag"


def test_each_memory_carries_its_date_and_origin() -> None:
    stamps = {"00000001": "(2026-11-29, session)", "00000002": "(updated 2026-11-30, MEMORY.md)"}
    text = memory_md([memory(1, "Likes tea"), memory(2, "Uses vim")])
    block = LongTermInjector(Source(text), Search(), stamps=lambda: stamps).block("q")
    assert "- Likes tea (2026-11-29, session)" in block.text
    assert "- Uses vim (updated 2026-11-30, MEMORY.md)" in block.text
    hits = [{"id": "a", "memory": "Lives in Oslo", "created_at": "2026-01-02T10:00:00+00:00",
             "updated_at": "2026-03-04T10:00:00+00:00", "metadata": {"source": "session"}},
            {"id": "b", "memory": "Uses uv", "created_at": "2026-01-05T10:00:00+00:00",
             "updated_at": "2026-01-05T10:00:00+00:00", "agent_id": "codex",
             "metadata": {"source": "/home/u/.codex/sessions/x.jsonl"}}]
    big = memory_md([memory(i, f"fact {i:04d} " + "padding " * 10) for i in range(1, 200)])
    rag = LongTermInjector(Source(big), Search(hits)).block("q")
    assert rag.mode == "rag"
    assert "- Lives in Oslo (updated 2026-03-04, session)\n- Uses uv (2026-01-05, codex transcript)" in rag.text


def test_direct_cache_by_md5_and_by_version() -> None:
    source = Source(memory_md([memory(1, "Likes tea")]))
    injector = LongTermInjector(source, Search())
    first = injector.block("q", version="v1")
    assert (injector.cache_hits, injector.cache_misses, source.reads) == (0, 1, 1)
    assert injector.block("q", version="v1") == first
    assert (injector.cache_hits, injector.cache_misses, source.reads) == (1, 1, 1)  # no read at all
    injector.block("q", version="v2")  # new version, same text: read but not re-formatted
    assert (injector.cache_hits, injector.cache_misses, source.reads) == (2, 1, 2)
    injector.block("q")
    assert (injector.cache_hits, injector.cache_misses, source.reads) == (3, 1, 3)
    source.text = memory_md([memory(1, "Likes coffee")])
    changed = injector.block("q")
    assert injector.cache_misses == 2 and "Likes coffee" in changed.text


def test_rag_at_and_above_threshold() -> None:
    memories = [memory(i, f"fact {i:04d} " + "padding " * 10) for i in range(1, 200)]
    text = memory_md(memories)
    direct_tokens = estimate_tokens(direct_content(text)[0])
    assert direct_tokens >= MEMORY_TOKEN_THRESHOLD
    hits = [{"id": "a", "memory": "relevant one", "score": 0.9}, {"id": "b", "memory": "relevant\ntwo", "score": 0.8}]
    search = Search(hits)
    block = LongTermInjector(Source(text), search, top_k=5).block("tea?")
    assert block.mode == "rag" and search.calls == [("tea?", 5)]
    assert block.text == (f"{CONTEXT_BEGIN}\n[memory mode: rag]\n{MEMORY_NOTE}\n- relevant one\n- relevant two\n"
                          f"{CONTEXT_END}")
    assert [m["id"] for m in block.memories] == ["a", "b"]
    # Exactly at the threshold is RAG too; one token below is Direct.
    at = LongTermInjector(Source(text), Search(hits), threshold=direct_tokens).block("q")
    below = LongTermInjector(Source(text), Search(hits), threshold=direct_tokens + 1).block("q")
    assert (at.mode, below.mode) == ("rag", "direct")


def test_search_failure_degrades_without_raising() -> None:
    text = memory_md([memory(i, f"fact {i} " + "padding " * 10) for i in range(1, 100)])
    block = LongTermInjector(Source(text), Search(fail=True), threshold=200).block("q")
    assert block.mode == "degraded"
    assert "[memory mode: degraded]" in block.text and "- fact" in block.text
    body_tokens = estimate_tokens(block.text.split("\n", 2)[2])
    assert body_tokens <= 200 + 5
    assert 0 < len(block.memories) < 99


def test_empty_and_unreadable_sources() -> None:
    assert LongTermInjector(Source("# no section"), Search()).block("q").mode == "empty"

    def broken() -> str:
        raise OSError("disk gone")

    rag = LongTermInjector(broken, Search([{"id": "a", "memory": "from search"}])).block("q")
    assert rag.mode == "rag" and "- from search" in rag.text
    nothing = LongTermInjector(broken, Search(fail=True)).block("q")
    assert (nothing.mode, nothing.text, nothing.tokens) == ("degraded", "", 0)
