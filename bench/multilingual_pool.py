"""The retrieval pool of bench/multilingual.py: target facts with English queries, among English distractors.

Targets: the non-English durable items of the shared gate_dev set (their text as the
user wrote it) and the facts of ``bench/data/multilingual_facts.jsonl`` (written by
hand for this bench: German, Spanish, French, Chinese and Japanese facts, each with
an English rendering used only as a control, plus English facts with paraphrase
queries). Distractors: the English gold facts of gate_dev (not those of the targets),
the memories of conflicts_dev, and LoCoMo turns ("Speaker: text", read from the
shared data, never copied) up to ``size``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FACTS = Path(__file__).with_name("data") / "multilingual_facts.jsonl"
GATE_DEV = SHARED / "judge" / "gate_dev.jsonl"
CONFLICTS = SHARED / "judge" / "conflicts_dev.jsonl"
LOCOMO = SHARED / "locomo" / "locomo10_dev.json"


@dataclass(frozen=True)
class Target:
    """A fact to find and the English queries that should find it."""

    id: str
    lang: str
    text: str
    english: str  # an English rendering (control); "" for English facts and gate_dev items
    queries: tuple[str, ...]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_targets(facts: Path = FACTS, gate_dev: Path = GATE_DEV) -> list[Target]:
    """Every target; gate_dev items take their text (and first gold fact, as control) from gate_dev."""
    gate = {item["id"]: item for item in _jsonl(gate_dev)}
    targets = []
    for row in _jsonl(facts):
        if row["id"] in gate:
            item = gate[row["id"]]
            if not item["memorize"]:
                raise ValueError(f"{row['id']} is not a durable item of {gate_dev}")
            text, english = item["text"], "; ".join(item["facts"])
        else:
            text, english = row["text"], row.get("english", "")
        targets.append(Target(row["id"], row["lang"], text, english, tuple(row["queries"])))
    return targets


def load_distractors(targets: list[Target], size: int = 300, gate_dev: Path = GATE_DEV,
                     conflicts: Path = CONFLICTS, locomo: Path = LOCOMO) -> list[str]:
    """``size`` English texts that are none of the targets, in a fixed order."""
    target_ids = {t.id for t in targets}
    texts: list[str] = []
    for item in _jsonl(gate_dev):
        if item["id"] not in target_ids:
            texts.extend(item["facts"])
    for scenario in _jsonl(conflicts):
        texts.extend(step["resulting_memory"] for step in scenario["steps"] if step.get("resulting_memory"))
        texts.extend(scenario["final_memories"])
    texts = list(dict.fromkeys(texts))
    if locomo.is_file() and len(texts) < size:
        turns = []
        for sample in json.loads(locomo.read_text(encoding="utf-8")):
            conversation = sample["conversation"]
            for key in sorted((k for k in conversation if k.startswith("session_") and k[8:].isdigit()),
                              key=lambda k: int(k[8:])):
                turns.extend(f"{t['speaker']}: {t['text']}" for t in conversation[key])
        step = max(1, len(turns) // (size - len(texts)))
        texts.extend(turns[::step])
    return texts[:size]
