"""A store opened with its reads first answers searches and gets before mem0 is loaded, the same as after."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
from sidecar.testing.waiting import ready_limit


def test_reads_answer_before_mem0_loads_and_writes_wait_for_it(isolated_home: Path):
    settings = load_settings()
    full = MemoryStore(settings)
    kept = full.add("I keep bees in my garden", user_id="alice")["results"][0]
    full.add("My sister lives in Oslo", user_id="bob")
    full.close()

    store = MemoryStore(settings, reads_first=True)
    try:
        assert store.writes.state == "loading"
        hits = store.search("beekeeping hobby", filters={"user_id": "alice"})["results"]
        assert [hit["id"] for hit in hits] == [kept["id"]]  # bob's memory stays out of alice's search
        early_get = store.get(kept["id"])
        early_list = store.get_all(filters={"user_id": "alice"})
        assert [row["id"] for row in early_list["results"]] == [kept["id"]]
        assert store.count() == 2 and store.get("no-such-id") is None
        assert store.writes.state == "loading"  # none of these loaded mem0

        added: list[dict] = []
        writer = threading.Thread(target=lambda: added.append(store.add("I brew mead", user_id="alice")))
        writer.start()
        store.load_writes()
        writer.join()
        assert store.writes.state == "ready" and added[0]["results"][0]["event"] == "ADD"
        assert store.get(kept["id"]) == early_get  # mem0's own get: the shape read directly was mem0's
        assert store.get_all(filters={"user_id": "alice"})["results"][0] == early_list["results"][0]
        late = store.search("beekeeping hobby", filters={"user_id": "alice"})["results"]
        assert late[0]["id"] == kept["id"] and late[0]["score"] == hits[0]["score"]
    finally:
        store.close()


PROBE = """
import sys
import sidecar.process.offline; sidecar.process.offline.apply()
from sidecar.config.settings import load_settings
from sidecar.store.memory_store import MemoryStore
from sidecar.testing.waiting import ready_limit
store = MemoryStore(load_settings(), reads_first=True)
store.search("anything", filters={"user_id": "alice"})
print(sorted(name for name in ("mem0", "spacy", "qdrant_client", "openai") if name in sys.modules))
store.load_writes()
print("mem0" in sys.modules)
store.close()
"""


def test_opening_the_reads_imports_neither_mem0_nor_spacy(isolated_home: Path):
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True,
                         timeout=ready_limit()).stdout.split("\n")
    assert out[:2] == ["[]", "True"]  # nothing heavy before the writes load; mem0 once they do
