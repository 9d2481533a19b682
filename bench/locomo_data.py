"""Reading the LoCoMo development split: its turns and its category 1-4 questions with their gold turns.

Each turn becomes what the daemon would store ("Speaker: text"), under one user id
per conversation; evidence ids written loosely in the data (``"D8:6; D9:17"``,
``"D:11:26"``) are repaired. Used by bench/retrieval_eval.py, bench/locomo.py and
bench/multilingual.py. The data is CC BY-NC: it is read where it lies, never copied
into the project.

Usage: python bench/locomo_data.py [--data PATH]  (prints what the file holds)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "locomo" / "locomo10_dev.json"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
_EVIDENCE = re.compile(r"D:?(\d+):(\d+)")


@dataclass(frozen=True)
class Turn:
    memory_id: str
    user_id: str
    session: int
    text: str  # what the daemon stores: "Speaker: what was said"
    caption: str
    date: str


@dataclass(frozen=True)
class Question:
    user_id: str
    text: str
    category: int
    gold_turns: frozenset[str]
    gold_sessions: frozenset[int]


def parse_evidence(raw: list[str]) -> list[str]:
    """Repair ids like ``"D8:6; D9:17"`` or ``"D:11:26"``; drop what does not parse."""
    return [f"D{int(s)}:{int(t)}" for item in raw for s, t in _EVIDENCE.findall(str(item))]


def load_locomo(path: Path) -> tuple[list[Turn], list[Question]]:
    """All turns (in order) and the category 1-4 questions that keep a known gold turn."""
    turns: list[Turn] = []
    questions: list[Question] = []
    for index, sample in enumerate(json.loads(Path(path).read_text(encoding="utf-8"))):
        user = str(sample.get("sample_id") or f"conv-{index}")
        conv = sample["conversation"]
        numbers = sorted(int(m[1]) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
        session_of: dict[str, int] = {}
        for n in numbers:
            for t in conv[f"session_{n}"]:
                session_of[t["dia_id"]] = n
                turns.append(Turn(f"{user}:{t['dia_id']}", user, n, f"{t['speaker']}: {t['text']}",
                                  str(t.get("blip_caption") or ""),
                                  str(conv.get(f"session_{n}_date_time", ""))))
        for qa in sample.get("qa", []):
            gold = [d for d in parse_evidence(qa.get("evidence", [])) if d in session_of]
            if qa.get("category") in CATEGORIES and gold:
                questions.append(Question(user, str(qa["question"]), int(qa["category"]),
                                          frozenset(f"{user}:{d}" for d in gold),
                                          frozenset(session_of[d] for d in gold)))
    return turns, questions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    turns, questions = load_locomo(args.data)
    per_category = Counter(CATEGORIES[q.category] for q in questions)
    print(f"{args.data}: {len({t.user_id for t in turns})} conversations, {len(turns)} turns, "
          f"{len(questions)} questions ({', '.join(f'{n} {name}' for name, n in sorted(per_category.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
