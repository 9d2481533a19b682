"""Secret redaction: recall on planted secrets, false positives on ordinary text, and a daemon that stores none.

1. Recall: seeded invented secrets of every kind (``sidecar.testing.planted``) and a hand-written list of
   other phrasings; a secret counts as found when its value is gone from the redacted text.
2. False positives: texts that hold no secret, changed by redaction: the gate set's non-secret items and
   gold facts (``shared/data/judge``), the learning set's facts, evidence and must-not-store snippets, the
   LoCoMo dialogue turns, and every string of the shared agent transcripts.
3. Through a running daemon (``--daemon``): secrets planted through ``add`` (refused), ``session.update``
   and ``add(infer=true)`` (redacted), with wall time and the daemon's CPU per op; then every file under
   its SIDECAR_HOME is searched for the planted values.

    python bench/secret_redaction.py [--seed N] [--per-kind 20] [--daemon] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import header, header_line, process_cpu_s  # noqa: E402

from sidecar.learn.redact import redact  # noqa: E402
from sidecar.testing.planted import plant  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# Other phrasings than the planted templates (value, sentence); all values invented.
HAND_WRITTEN = [
    ("Zq7!mark", "fyi the router admin pw is Zq7!mark"), ("hunter42", "password=hunter42"),
    ("774102", "Our building entry code is 774102, the buzzer is broken"),
    ("3391", "bike lock combo: 3391"), ("55-12-09", "The gym locker combination is 55-12-09."),
    ("Fluffy", "security answer: Fluffy"), ("Wanda Marsh", "Sicherheitsfrage (Mädchenname der Mutter): Wanda Marsh"),
    ("9917-3381", "GitLab backup codes: 9917-3381, 4410-0021"),
    ("4410-0021", "GitLab backup codes: 9917-3381, 4410-0021"),
    ("Kiwi#2024", "Login für das Intranet: m.berg / Kiwi#2024"), ("p4ss!Word", "my email is ana@example.org:p4ss!Word"),
    ("8316", "Meine Geheimzahl ist 8316"), ("123987", "我的银行卡密码是123987，别忘了"),
    ("Hallo2024", "WLANのパスワードはHallo2024です"), ("qwerty77", "와이파이 비밀번호: qwerty77"),
    ("5105 1051 0510 5100", "Mastercard 5105 1051 0510 5100 exp 11/27"),
    ("3782 822463 10005", "my Amex is 3782 822463 10005"),
    ("6011111111111117", "Discover card number 6011111111111117"),
]


def recall(seed: int, per_kind: int) -> dict:
    by_kind: dict[str, list[int]] = {}
    started, cpu = time.perf_counter(), time.process_time()
    texts = 0
    for item in plant(random.Random(seed), per_kind):
        out = redact(item.text).text
        texts += 1
        counts = by_kind.setdefault(item.kind, [0, 0])
        counts[0] += sum(value not in out for value in item.values)
        counts[1] += len(item.values)
    hand = [(value, text) for value, text in HAND_WRITTEN]
    hand_found = sum(value not in redact(text).text for value, text in hand)
    missed = [text for value, text in hand if value in redact(text).text]
    elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    redactions = texts + 2 * len(hand)
    return {"planted_by_kind": {k: f"{found}/{total}" for k, (found, total) in by_kind.items()},
            "planted_recall": sum(f for f, _ in by_kind.values()) / sum(t for _, t in by_kind.values()),
            "hand_written_recall": hand_found / len(hand), "hand_written_missed": missed,
            "ms_per_text": 1000 * elapsed / redactions, "cpu_ms_per_text": 1000 * cpu_s / redactions}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def negative_corpora() -> dict[str, list[str]]:
    corpora: dict[str, list[str]] = {}
    gate = SHARED / "judge" / "gate_dev.jsonl"
    if gate.exists():
        items = [json.loads(line) for line in gate.read_text(encoding="utf-8").splitlines() if line.strip()]
        corpora["gate: non-secret items"] = [i["text"] for i in items if not i["contains_secret"]]
        corpora["gate: gold facts"] = [f for i in items for f in i["facts"]]
    labels = SHARED / "learning" / "labels.jsonl"
    if labels.exists():
        items = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
        corpora["learning: facts + evidence"] = [text for i in items for f in i["facts"]
                                                 for text in (f["fact"], f["evidence"])]
        corpora["learning: must_not_store"] = [t for i in items for t in i["must_not_store"]]
    locomo = SHARED / "locomo" / "locomo10_dev.json"
    if locomo.exists():
        conversations = [conv["conversation"] for conv in json.loads(locomo.read_text(encoding="utf-8"))]
        corpora["locomo: dialogue turns"] = [turn["text"] for conv in conversations for key, turns in conv.items()
                                             if key.startswith("session_") and isinstance(turns, list)
                                             for turn in turns]
    transcripts: list[str] = []
    for path in sorted((SHARED / "transcripts").rglob("*")) if (SHARED / "transcripts").exists() else []:
        if not path.is_file() or "LICENSE" in path.name or "SOURCES" in path.name:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".jsonl":
            for line in raw.splitlines():
                try:
                    transcripts += _strings(json.loads(line))
                except ValueError:
                    transcripts.append(line)
        elif path.suffix == ".json":
            try:
                transcripts += _strings(json.loads(raw))
            except ValueError:
                transcripts.append(raw)
        else:
            transcripts += re.split(r"\n\s*\n", raw)
    if transcripts:
        corpora["agent transcripts: every string"] = list(dict.fromkeys(t for t in transcripts if len(t) > 3))
    return corpora


def false_positives() -> dict:
    out = {}
    for name, texts in negative_corpora().items():
        changed = [t for t in texts if redact(t).redacted]
        out[name] = {"texts": len(texts), "redacted": len(changed),
                     "kinds": sorted({f.kind for t in changed for f in redact(t).findings})}
    return out


def through_daemon(seed: int, per_kind: int) -> dict:
    from sidecar.testing.daemons import private_daemon
    from sidecar.testing.waiting import wait_until
    from sidecar_shared.errors import SecretDetected

    rng = random.Random(seed + 1)
    values: set[str] = set()
    timings: dict[str, list[float]] = {"add (refused)": [], "session.update (redacted)": [], "add infer (redacted)": []}
    with private_daemon('user_id = "bench"\n[watch]\non = false\n', prefix="sbs-") as daemon:
        client = daemon.client
        cpu: dict[str, float] = {}
        for op, send in (("add (refused)", lambda text: client.add(text, user_id="bench")),
                         ("session.update (redacted)", lambda text: client.call(
                             "session.update", {"session_id": "bench", "user_id": "bench",
                                                "messages": [{"role": "user", "content": text}]})),
                         ("add infer (redacted)", lambda text: client.call(
                             "add", {"messages": text, "infer": True, "user_id": "bench"}))):
            before = process_cpu_s(daemon.pid) or 0.0
            for item in plant(rng, per_kind):
                values.update(item.values)
                started = time.perf_counter()
                try:
                    send(item.text)
                except SecretDetected:
                    pass
                timings[op].append((time.perf_counter() - started) * 1000)
            cpu[op] = ((process_cpu_s(daemon.pid) or 0.0) - before) * 1000 / len(timings[op])
        wait_until(lambda: (lambda t: t["learned"] + t["failed"] >= t["queued"])(
            client.status()["ingest"]["session_turns"]), what="session turns judged")
        found = [v for v in values for p in daemon.home.rglob("*")
                 if p.is_file() and v.encode() in p.read_bytes()]
    return {"planted_values": len(values), "values_found_on_disk": len(found),
            "per_op": {op: {"n": len(ms), "wall_ms_mean": sum(ms) / len(ms), "daemon_cpu_ms_per_op": cpu[op]}
                       for op, ms in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--daemon", action="store_true", help="also plant through a running daemon")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    info = header()
    print(header_line(info))
    result = {"header": info, "recall": recall(args.seed, args.per_kind), "false_positives": false_positives()}
    rec = result["recall"]
    print(f"planted recall {rec['planted_recall']:.3f} (seed {args.seed}, {args.per_kind} per kind): "
          + ", ".join(f"{k} {v}" for k, v in rec["planted_by_kind"].items()))
    print(f"hand-written recall {rec['hand_written_recall']:.3f}; missed: {rec['hand_written_missed']}")
    print(f"redaction: {rec['ms_per_text']:.3f} ms wall, {rec['cpu_ms_per_text']:.3f} ms CPU per text")
    for name, row in result["false_positives"].items():
        print(f"false positives, {name}: {row['redacted']}/{row['texts']} {row['kinds']}")
    if args.daemon:
        result["daemon"] = through_daemon(args.seed, max(1, args.per_kind // 5))
        daemon = result["daemon"]
        for op, row in daemon["per_op"].items():
            print(f"daemon {op}: n={row['n']} wall {row['wall_ms_mean']:.1f} ms, "
                  f"daemon CPU {row['daemon_cpu_ms_per_op']:.1f} ms per op")
        print(f"daemon: {daemon['planted_values']} planted values, {daemon['values_found_on_disk']} found on disk")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
