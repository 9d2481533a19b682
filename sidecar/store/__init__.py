"""The memory store: mem0 over Chroma, the embedded embedder, extra indexes."""
