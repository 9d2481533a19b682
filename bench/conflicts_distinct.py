"""Distinct facts for bench/conflicts_eval.py: statements that differ only in names, numbers or versions.

Every statement has its own subject (a project, a host, a colleague, a bucket...), so none
restates, refines or replaces another: a reconciler must ADD every one the judge accepts.
The generator is seeded, so a run can be repeated; names are made up from syllables.
"""

from __future__ import annotations

import random

_SYLLABLES = ("ka", "ren", "to", "mi", "sol", "van", "dor", "li", "zen", "ra", "bo", "chen", "wen", "ta", "rik",
              "nu", "pel", "os", "ya", "gar", "fen", "lu", "mar", "ti")
_LANGS = ("Rust", "Go", "Python", "Kotlin", "TypeScript")
# half the templates differ only in the subject's name, the rest in a number or version as well
_TEMPLATES = (
    "Project {name} uses Rust.",
    "Our service {lower}-api listens on port {port}.",
    "The {name} repo pins Node {major}.",
    "Build machine {lower}{n} has 64 GB of RAM.",
    "My colleague {name} works on the payments team.",
    "The {lower}-backups bucket keeps {n} days of snapshots.",
    "Project {name} deploys with Helm {major}.{minor}.",
    "My friend {name} lives in Porto.",
    "I deploy project {name} every Friday.",
    "I use Python {major}.{minor} for the {name} scripts.",
)


def _name(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return word.capitalize()


def distinct_facts(count: int, seed: int = 11) -> list[str]:
    """``count`` user statements, each about a subject no other statement names."""
    rng = random.Random(seed)
    used: set[str] = set()
    facts: list[str] = []
    while len(facts) < count:
        name = _name(rng) + (str(rng.randint(2, 99)) if rng.random() < 0.5 else "")
        if name.lower() in used:
            continue
        used.add(name.lower())
        template = _TEMPLATES[len(facts) % len(_TEMPLATES)]
        facts.append(template.format(
            name=name, lower=name.lower(), other=_name(rng), lang=rng.choice(_LANGS), major=rng.randint(1, 24),
            minor=rng.randint(0, 12), port=rng.randint(1024, 9999), n=rng.randint(2, 90), gb=rng.choice((16, 32, 64, 128))))
    return facts
