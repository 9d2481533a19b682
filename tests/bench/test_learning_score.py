"""The learning bench's scoring rules (bench/learning_score.py), with a stand-in embedder.

The stand-in maps each text to a fixed unit vector, so every cosine is chosen by the test
and the rules (code check, verbatim copies, one-to-one assignment, duplicates, stale
values, recall) are checked without the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from learning_score import Matcher, assign, code_reason, copy_direction  # noqa: E402


class TableEmbedder:
    """Each text -> the vector given for it; unknown texts get a spare axis (from the top, unused by the tests)."""

    def __init__(self, vectors: dict[str, list[float]], dims: int = 16) -> None:
        self.vectors = {text: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for text, v in vectors.items()}
        self.dims = dims
        self.spare = iter(range(dims - 1, -1, -1))

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            if text not in self.vectors:
                vector = np.zeros(self.dims, dtype=np.float32)
                vector[next(self.spare)] = 1.0
                self.vectors[text] = vector
            out.append(self.vectors[text])
        return np.stack(out)


def axis(i: int, lean: float = 0.0, towards: int = 0, dims: int = 16) -> list[float]:
    """A unit vector on axis ``i``, leaning towards axis ``towards`` (cosine to it = lean)."""
    vector = [0.0] * dims
    vector[i] = float(np.sqrt(1 - lean * lean))
    vector[towards] += lean
    return vector


@pytest.mark.parametrize("text", [
    'GovernanceRole: z.enum(["observer", "admin"]),',
    "Cd $dir && zsh ~/repos/audit.sh",
    "git add schemas/user.json",
    "npm install -g @google/gemini-cli@latest",
    "Get-ChildItem -Force",
    "#!/usr/bin/env python3",
    "## Preamble (run first)",
    "const answer = compute(42);",
])
def test_code_and_commands_are_recognised(text: str):
    assert code_reason(text) is not None


@pytest.mark.parametrize("text", [
    "Uses crypto.getRandomValues, not Math.random",
    "Python 3.11 is required for the project",
    "Code is reviewed before every merge",
    "Works on Windows with PowerShell; bash is not installed",
    "The 'random' project is deployed as a static site on Render (render.com)",
])
def test_prose_is_not_code(text: str):
    assert code_reason(text) is None


def test_copy_direction_tells_holding_from_being_a_piece():
    snippet = "help me apply for the agentic engineering grant by Superteam"
    assert copy_direction("Help me apply for the agentic engineering grant by Superteam", snippet) == "holds"
    longer = "Note: help me apply for the agentic engineering grant by Superteam today"
    assert copy_direction(longer, snippet) == "holds"
    assert copy_direction("agentic engineering grant", snippet) == "inside"
    assert copy_direction("Prefers tabs over spaces", snippet) is None
    assert copy_direction("grant", snippet) is None  # too short to be evidence of a copy


def test_assignment_is_one_to_one_and_maximal():
    # memory 0 is closest to fact 0 but also fits fact 1; memory 1 fits fact 0 only
    similarity = np.array([[0.9, 0.7], [0.8, 0.1], [0.65, 0.2]])
    pairs = assign(similarity, 0.6)
    assert sorted(pairs.values()) == [0, 1] and len(pairs) == 2
    assert pairs == {0: 1, 1: 0}  # the only way to give both facts a memory


def test_score_marks_each_memory_and_counts_recall():
    label = {"facts": [{"fact": "Fact A", "importance": 3},
                       {"fact": "Fact B", "importance": 1, "superseded": "Old B"},
                       {"fact": "Fact C", "importance": 3}],
             "must_not_store": ["please run the migrations now", "Snippet S"]}
    vectors = {"Fact A": axis(0), "Fact B": axis(1), "Fact C": axis(2), "Old B": axis(3), "Snippet S": axis(4),
               "please run the migrations now": axis(5),
               "a": axis(6, 0.9, 0), "a again": axis(7, 0.8, 0), "old b": axis(6, 0.95, 3),
               "s-like": axis(7, 0.7, 4)}
    matcher = Matcher(0.6, embedder=TableEmbedder(vectors))
    memories = ["a", "a again", "old b", "s-like", "Please run the migrations now", "git push --force", "other"]
    score = matcher.score(memories, label)
    assert [m.status for m in score.marks] == ["matched", "duplicate", "stale", "junk", "junk", "junk", "unmatched"]
    assert score.marks[0].fact == "Fact A" and score.marks[2].fact == "Fact B"
    assert (score.recalled, score.facts, score.recalled3, score.facts3) == (1, 3, 1, 2)
    assert (score.stored, score.matched, score.junk, score.duplicates, score.stale) == (7, 1, 3, 1, 1)
    assert score.missed == ["Fact B", "Fact C"]


def test_a_verbatim_copy_of_a_must_not_snippet_is_junk_even_when_it_resembles_a_fact():
    label = {"facts": [{"fact": "Website is hosted on GitHub Pages", "importance": 2}],
             "must_not_store": ["analyze the project and give me feedback why the website is not working"]}
    memory = "Analyze the project and give me feedback why the website is not working (hosted on github pages)"
    vectors = {"Website is hosted on GitHub Pages": axis(0), memory: axis(1, 0.7, 0)}
    score = Matcher(0.6, embedder=TableEmbedder(vectors)).score([memory], label)
    assert score.marks[0].status == "junk" and score.recalled == 0 and score.matched == 0


def test_no_memories_and_no_facts_score_zero():
    matcher = Matcher(0.6, embedder=TableEmbedder({}))
    empty = matcher.score([], {"facts": [{"fact": "Fact A", "importance": 3}], "must_not_store": []})
    assert (empty.stored, empty.recalled, empty.facts3) == (0, 0, 1)
    no_facts = matcher.score(["something"], {"facts": [], "must_not_store": []})
    assert [m.status for m in no_facts.marks] == ["unmatched"] and no_facts.facts == 0
