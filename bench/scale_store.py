"""Filled stores for bench/scale.py, built once through the daemon and kept under bench/results/cache (gitignored).

Filling 100k memories embeds every text (~25 CPU-minutes on a 2-core machine
without AVX2), so each size's store is kept as a snapshot of the daemon's data
folder, keyed by the corpus, the size and the backend. A missing snapshot is
made by copying the largest smaller one into a fresh home, adding the missing
texts through the running daemon (``add(infer=False)`` in batches, the product's
own write path), stopping the daemon cleanly and copying its data folder away.
A benchmark run copies a snapshot into a fresh home and measures there, so the
cache is never written by a measured daemon.

PostgreSQL + pgvector stores of the same sizes are not filled through a daemon:
bench/scale_store_pg.py copies each from the Chroma snapshot of its size (the cached
vectors, payloads, history and keyword rows, through the daemon's own write code) and
caches the stopped server's data folder beside it (``pgvector-<key>-<size>``).

Usage: python bench/scale_store.py [--sizes 1000 10000 100000]  (fills the cache ahead of a run)
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from perf import timed_fill

from sidecar.testing.daemons import DaemonProcess, running_daemon, short_home

CACHE = Path(__file__).resolve().parent / "results" / "cache" / "scale"
USER = "scale"


KEY_TEXTS = 1000


def corpus_key(texts: list[str]) -> str:
    """A short digest naming the corpus: its first texts, in order (a snapshot of size n holds ``texts[:n]``;
    a corpus generator whose longer lists extend its shorter ones keeps one key)."""
    digest = hashlib.sha256()
    for text in texts[:KEY_TEXTS]:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:12]


def snapshot_dir(backend: str, key: str, size: int) -> Path:
    return CACHE / f"{backend}-{key}-{size}"


@contextmanager
def daemon_on(data: Path | None, config: str | None = None) -> Iterator[DaemonProcess]:
    """A daemon on a fresh short home holding a copy of the ``data`` folder (empty if None); removed afterwards."""
    home = short_home("scl-")
    user_home = home / "user-home"
    user_home.mkdir()
    if data is not None:
        shutil.copytree(data, home / "data", symlinks=True)
    if config is not None:
        (home / "config").mkdir(exist_ok=True)
        (home / "config" / "config.toml").write_text(config, encoding="utf-8")
    try:
        with running_daemon(home, env={"HOME": str(user_home)}) as daemon:
            yield daemon
    finally:
        shutil.rmtree(home, ignore_errors=True)


def filled_snapshot(texts: list[str], size: int, *, batch: int = 500, backend: str = "chroma",
                    log: Callable[[str], None] = print) -> tuple[Path, dict | None]:
    """The snapshot holding ``texts[:size]`` (made if missing) and the fill figures if it was made now."""
    key = corpus_key(texts)
    target = snapshot_dir(backend, key, size)
    if target.is_dir():
        return target, None
    smaller = sorted((int(p.name.rsplit("-", 1)[1]), p) for p in CACHE.glob(f"{backend}-{key}-*")
                     if p.is_dir() and p.name.rsplit("-", 1)[1].isdigit() and int(p.name.rsplit("-", 1)[1]) < size)
    start, source = smaller[-1] if smaller else (0, None)
    log(f"filling {backend} store {start} -> {size} memories (cached at {target})")
    with daemon_on(source) as daemon:
        fill = timed_fill(daemon.client, daemon.pid, texts[start:size], USER, batch)
        data = daemon.home / "data"
        code = daemon.stop()
        if code != 0:
            raise RuntimeError(f"the filling daemon exited with {code}:\n{daemon.log()[-2000:]}")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(data, partial, symlinks=True)
        partial.rename(target)
    return target, {**fill, "from": start}


def main(argv: list[str] | None = None) -> int:
    """Fill (or find) the snapshots of the given sizes, e.g. in the background before a benchmark."""
    import argparse
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from realistic import scale_texts

    parser = argparse.ArgumentParser(description="Fill the cached Chroma stores bench/scale.py measures.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--batch", type=int, default=500)
    options = parser.parse_args(argv)
    texts = scale_texts(max(*options.sizes, KEY_TEXTS))
    for size in sorted(options.sizes):
        print(size, *filled_snapshot(texts, size, batch=options.batch), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
