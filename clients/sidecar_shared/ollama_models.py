"""Which local Ollama model the judge, reconciler and summariser use when none is configured.

Shared by the daemon (:mod:`sidecar.llm.ollama_client`) and ``memctl doctor``, so both
name the same model. The order is the seed's: ``qwen3:4b`` → ``qwen2.5:1.5b`` →
``llama3.2:1b``, the larger only with the free RAM it needs; a re-tag made for this
tool (``qwen3:4b-mem``, ``qwen3-mem:4b``) counts as the model it was made from. Only
a pulled model is ever chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

GIB = 1024**3
# (model, minimum free RAM to prefer it): the larger model only when it fits with room to spare
AUTO_MODELS: tuple[tuple[str, int], ...] = (("qwen3:4b", 6 * GIB), ("qwen2.5:1.5b", 3 * GIB + 1), ("llama3.2:1b", 0))
AUTO_MODEL_NAMES: tuple[str, ...] = tuple(name for name, _ in AUTO_MODELS)
RETAG_SUFFIX = "-mem"


def _split(name: str) -> tuple[str, str]:
    base, _, tag = name.partition(":")
    return base, tag or "latest"


def names_for(model: str) -> tuple[str, ...]:
    """The names under which ``model`` may be pulled: itself, ``:latest``, and its ``-mem`` re-tags."""
    base, tag = _split(model)
    return (f"{base}:{tag}", f"{base}:{tag}{RETAG_SUFFIX}", f"{base}{RETAG_SUFFIX}:{tag}")


def pulled_as(model: str, pulled: Sequence[str]) -> str | None:
    """The pulled name that serves ``model`` (the exact name first, then a re-tag), or None."""
    have = {f"{b}:{t}": name for name in pulled for b, t in [_split(name)]}
    return next((have[name] for name in names_for(model) if name in have), None)


def best_pulled(pulled: Sequence[str], free_bytes: int | None = None) -> str | None:
    """The pulled name to use: the first model in the order whose RAM need ``free_bytes`` meets
    (any, when the free RAM is unknown), else the smallest pulled one; None when none is pulled."""
    present = [(name, floor, pulled_as(name, pulled)) for name, floor in AUTO_MODELS]
    present = [(floor, found) for _, floor, found in present if found]
    if not present:
        return None
    fitting = [found for floor, found in present if free_bytes is None or free_bytes >= floor]
    return fitting[0] if fitting else present[-1][1]


def by_free_ram(free_bytes: int | None) -> str:
    """The model the order would pick with ``free_bytes`` free, pulled or not (the one to pull)."""
    if free_bytes is None:
        return AUTO_MODELS[-1][0]
    return next(name for name, floor in AUTO_MODELS if free_bytes >= floor)
