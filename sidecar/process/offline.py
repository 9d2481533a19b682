"""Telemetry opt-outs, applied before any heavy library is imported.

mem0 reads ``MEM0_TELEMETRY`` at import time, chromadb its ``ANONYMIZED_TELEMETRY``
setting, onnxruntime 1.31 resolves a Microsoft telemetry host unless
``ORT_DISABLE_TELEMETRY`` is set, and importing mem0 writes ``~/.mem0/config.json``
unless ``MEM0_DIR`` points elsewhere. So this module must run first.
"""

from __future__ import annotations

import os
from pathlib import Path

OPT_OUT_ENV: dict[str, str] = {
    "MEM0_TELEMETRY": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "POSTHOG_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
}

HEAVY_MODULES = ("mem0", "chromadb", "onnxruntime", "posthog")


class TelemetryOrderError(RuntimeError):
    """A heavy library was imported before the opt-outs were applied."""


def apply(mem0_dir: Path | None = None) -> None:
    """Force every telemetry opt-out into ``os.environ`` (overriding user values).

    ``mem0_dir`` keeps mem0's own state file inside our data dir.
    Raises :class:`TelemetryOrderError` if a heavy library is already loaded,
    because then the opt-outs would come too late.
    """
    import sys

    early = [m for m in HEAVY_MODULES if m in sys.modules]
    if early:
        raise TelemetryOrderError(
            f"{', '.join(early)} imported before telemetry was disabled; "
            "import sidecar.process.offline first"
        )
    os.environ.update(OPT_OUT_ENV)
    if mem0_dir is not None:
        mem0_dir.mkdir(parents=True, exist_ok=True)
        os.environ["MEM0_DIR"] = str(mem0_dir)


def status() -> dict[str, bool]:
    """Which opt-outs are in effect in this process (for ``status`` and ``doctor``)."""
    return {key: os.environ.get(key) == value for key, value in OPT_OUT_ENV.items()}
