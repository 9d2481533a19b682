"""Fuzz a running daemon with 100,000 malformed frames; report dead workers (target 0) and stalls.

The frames are :mod:`sidecar.testing.fuzz_frames`' (the same generator as ``tests/rpc/test_fuzz.py``).
A fresh daemon in a temp home unless ``--home`` names a running one's ``SIDECAR_HOME``.
Prints machine/date/load, the seed, frames per second, daemon CPU per frame, the reply codes,
unanswered frames (and where the daemon stalled), and the workers that died or were replaced.

``--huge run`` sends huge strings as one long run of a letter (the worst case for regexes),
``words`` as prose, ``mixed`` (default) both.

Usage: python bench/fuzz.py [--frames 100000] [--seed N] [--huge mixed|run|words] [--home DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import header, header_line, process_cpu_s  # noqa: E402

from sidecar.testing.daemons import running_daemon  # noqa: E402
from sidecar.testing.fuzz_frames import run_fuzz  # noqa: E402
from sidecar_client.client import Client  # noqa: E402
from sidecar_shared.paths import HOME_ENV, app_paths  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--huge", choices=["mixed", "run", "words"], default="mixed")
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="seconds before a frame counts unanswered")
    parser.add_argument("--home", type=Path, help="SIDECAR_HOME of a running daemon (default: start a fresh one)")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 31)
    info = header()
    print(header_line(info))
    print(f"seed {seed}, {options.frames} frames, huge strings: {options.huge}")
    if options.home:
        paths, context = app_paths({HOME_ENV: str(options.home)}), nullcontext()
    else:
        home = Path(tempfile.mkdtemp(prefix="bfuzz-", dir="/tmp"))
        paths, context = app_paths({HOME_ENV: str(home)}), running_daemon(home)
    with context:
        client = Client(paths, timeout=30)
        before = client.status()
        pid, cpu0 = before["pid"], process_cpu_s(before["pid"])
        outcome = run_fuzz(paths.endpoint, options.frames, seed, reply_timeout_s=options.reply_timeout,
                           huge=options.huge)
        cpu = process_cpu_s(pid) - cpu0
        try:
            after = client.status()
            search_ok = client.search("after the fuzz", filters={"user_id": "fuzz-check"}) is not None
        except Exception as exc:  # a stalled daemon: reported, not raised
            after, search_ok = {"error": str(exc)}, False
        client.close()
    dead = None if "error" in after else after["workers_replaced"] + after["workers"] - after["workers_alive"]
    result = {**info, "seed": seed, "frames": outcome.sent, "answered": outcome.answered,
              "unanswered": outcome.unanswered, "stalled_at": outcome.stalled_at,
              "bad_replies": outcome.bad_replies[:20], "codes": outcome.codes, "seconds": round(outcome.seconds, 1),
              "frames_per_s": round(outcome.sent / outcome.seconds, 1) if outcome.seconds else None,
              "daemon_cpu_ms_per_frame": round(cpu * 1000 / max(1, outcome.sent), 3),
              "dead_workers": dead, "search_after": search_ok, "huge": options.huge}
    print(f"{outcome.sent} frames in {result['seconds']} s ({result['frames_per_s']}/s, daemon CPU "
          f"{result['daemon_cpu_ms_per_frame']} ms/frame); answered {outcome.answered}, unanswered "
          f"{outcome.unanswered}" + (f" (stalled after frame {outcome.stalled_at})" if outcome.stalled_at else ""))
    print(f"bad replies: {len(outcome.bad_replies)}; codes: {dict(sorted(outcome.codes.items()))}")
    print(f"dead workers: {dead} (target 0); search after the run answered: {search_ok}")
    if options.json:
        options.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
