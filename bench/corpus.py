"""Synthetic but realistic memory sentences for the benchmarks (deterministic)."""

from __future__ import annotations

import random

NAMES = ["Ana", "Bilal", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kira", "Luis",
         "Mei", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Viktor", "Wen", "Yara"]
TEMPLATES = [
    "I am allergic to {food}",
    "My favourite cuisine is {cuisine}",
    "I live in {city} near the {place}",
    "My colleague {name} works on the {team} team",
    "I prefer {tool} over {tool2} for {task}",
    "My sister {name} lives in {city}",
    "I go {hobby} every {day}",
    "Our repo uses {tool} for {task} and requires {rule}",
    "I have a {pet} called {name}",
    "I am learning {language} for a trip to {city}",
    "My manager {name} prefers {format} status updates",
    "I usually drink {drink} in the {time}",
]
FILL = {
    "food": ["peanuts", "shellfish", "gluten", "lactose", "sesame", "kiwi", "soy", "eggs"],
    "cuisine": ["Thai", "Sichuan", "Ethiopian", "Peruvian", "Georgian", "Basque", "Kerala", "Oaxacan"],
    "city": ["Lyon", "Porto", "Osaka", "Bergen", "Austin", "Kraków", "Valencia", "Montréal", "Tbilisi"],
    "place": ["river", "old market", "train station", "university", "harbour", "botanical garden"],
    "team": ["payments", "search", "billing", "mobile", "infra", "growth", "data platform"],
    "tool": ["ripgrep", "poetry", "uv", "pytest", "vim", "VS Code", "tmux", "httpx", "polars"],
    "tool2": ["grep", "pip", "conda", "unittest", "nano", "PyCharm", "screen", "requests", "pandas"],
    "task": ["search", "packaging", "tests", "editing", "HTTP calls", "dataframes", "deploys"],
    "rule": ["signed commits", "squash merges", "conventional commits", "two reviewers", "green CI"],
    "hobby": ["bouldering", "sailing", "trail running", "swimming", "cycling", "birdwatching"],
    "day": ["Saturday", "Sunday morning", "Tuesday evening", "weekend", "Friday"],
    "pet": ["cat", "dog", "parrot", "tortoise", "rabbit"],
    "language": ["Japanese", "Portuguese", "Georgian", "Polish", "Norwegian", "Catalan"],
    "format": ["written", "bullet-point", "weekly", "short", "async"],
    "drink": ["green tea", "espresso", "rooibos", "oat latte", "mate"],
    "time": ["morning", "afternoon", "evening"],
}
QUERIES = ["any ideas for dinner tonight?", "what should I pack for my trip?", "who works on payments?",
           "which tools do I like?", "what are my repo rules?", "what pets do I have?",
           "what do I drink in the morning?", "where does my family live?"]


def sentences(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct sentences."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        template = rng.choice(TEMPLATES)
        values = {key: rng.choice(options) for key, options in FILL.items()}
        values["name"] = f"{rng.choice(NAMES)} {rng.choice(NAMES)}son"
        text = template.format(**values)
        if text in seen:
            text = f"{text} (note {len(out)})"
        seen.add(text)
        out.append(text)
    return out
