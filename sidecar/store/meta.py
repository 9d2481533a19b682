"""The store's identity card: which embedder wrote its vectors, and their size.

Vectors of one model are meaningless to another, so opening a store with a
different embedder must fail loudly instead of returning nonsense.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sidecar.config.settings import ConfigError
from sidecar.store.mem0_config import EmbedderChoice

META_NAME = "store.json"


class EmbedderMismatch(ConfigError):
    """The store was written by an embedder of another model or size."""


def check_or_record(store_dir: Path, choice: EmbedderChoice) -> None:
    """Record the embedder of a new store, or check that an existing store matches it."""
    path = store_dir / META_NAME
    if path.is_file():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        dims, name = recorded.get("dims"), recorded.get("embedder")
        if dims != choice.dims:
            raise EmbedderMismatch(
                f"the store at {store_dir} holds {dims}-dimension vectors from {name}, but the configured "
                f"embedder {choice.name} makes {choice.dims}-dimension vectors. Use the old embedder, or "
                "export the memories (memctl export), point the config at a new store and import them."
            )
        if name != choice.name:
            raise EmbedderMismatch(
                f"the store at {store_dir} was embedded with {name}, but the configured embedder is "
                f"{choice.name} (same {dims} dimensions, different model: its vectors would not compare). "
                "Export and re-import to switch embedders."
            )
        return
    store_dir.mkdir(parents=True, exist_ok=True)
    record = {"embedder": choice.name, "dims": choice.dims,
              "created_at": datetime.now(timezone.utc).isoformat()}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
