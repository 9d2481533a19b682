"""Scoring for bench/learning.py: stored memories against a transcript's gold labels.

The matcher is the product's own embedder (all-MiniLM-L6-v2 int8, from
``sidecar.store.embedder``): a memory *matches* a text when their cosine is at or above
the threshold (0.6 by default). For each memory:

* ``junk`` when it looks like code or a shell command (:func:`code_reason`), whatever it
  resembles;
* ``stale`` when it is closer to a fact's superseded (old) value than to any current fact;
* ``junk`` when it holds a ``must_not_store`` snippet verbatim (the snippet contained in it,
  or a common run of characters covering most of the snippet), even if it also resembles a
  fact: the label says that very text must not be stored;
* ``matched`` when a one-to-one assignment of memories to gold facts (maximum number of
  pairs, closer pairs first) gives it a fact: one fact can validate one memory only;
* ``duplicate`` when it matches a gold fact that another memory already took;
* ``junk`` when it matches a ``must_not_store`` snippet by cosine, or is itself a piece of
  one (contained in it, or covered by a long common run);
* ``unmatched`` otherwise (read these: gold lists are careful but not exhaustive).

A gold fact is *recalled* when any non-code memory matches it (duplicates included), so
recall does not depend on the assignment. Precision is matched / stored; junk rate is
junk / stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np

DEFAULT_THRESHOLD = 0.6
MIN_OVERLAP_CHARS = 12  # a contained text shorter than this is not evidence of a copy
COMMON_RUN_SHARE = 0.6  # longest common run / shorter text that counts as a copy

_SHELL = {"cd", "ls", "git", "npm", "npx", "pnpm", "yarn", "pip", "pip3", "python", "python3", "node", "cargo",
          "make", "docker", "kubectl", "sudo", "rm", "mv", "cp", "mkdir", "chmod", "chown", "curl", "wget", "cat",
          "echo", "grep", "sed", "awk", "find", "export", "source", "bash", "zsh", "sh", "brew", "apt", "apt-get",
          "uv", "poetry", "pytest", "ssh", "scp", "tar", "touch", "gh", "bun", "deno", "psql", "for", "while",
          "pacman", "yay", "dnf", "yum", "snap", "flatpak", "systemctl", "journalctl", "winget", "choco", "powercfg",
          "netsh", "ipconfig", "wmic", "reg", "sc", "sc.exe", "cmake", "mvn", "gradle", "dotnet", "rustup", "nvm",
          "conda", "tsc", "ollama", "ping", "kill", "pkill", "ps", "df", "du", "code", "vim", "nvim"}
_SUBCOMMANDS = {"add", "commit", "push", "pull", "install", "run", "build", "test", "clone", "checkout", "status",
                "init", "start", "exec", "i", "ci", "log", "diff", "merge", "rebase", "reset", "stash", "up", "-m"}
_STRONG = ("&&", "||", "=>", "==", "!=", ":=", "</", "/>", "();", "){", ") {", "};", "#!/", "$(", "${", "[]", "::")
_SYMBOLS = set("{}[];=<>|&$\\`")  # not ( ) or quotes: prose names calls and quotes words
_POWERSHELL = re.compile(r"^[A-Z][a-z]+-[A-Z][A-Za-z]+(\s|$)")  # Get-ChildItem, Set-Location
_COMMENT = re.compile(r"^\s*(//|/\*|#!|<!--|\*\s)")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_DECLARATION = re.compile(r"^\s*(const|let|var|function|def|class|import|from|export|return|async def|public|private)"
                          r"\s+[\w.{}*, ]+\s*(=|\(|:|\{|import\b|from\b)")
_TRAILING = re.compile(r"([;{]|[\]\)\"'],)\s*$")


def code_reason(text: str) -> str | None:
    """Why ``text`` looks like code, a shell command or markup (None when it reads as prose)."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if "\n" in stripped and sum(line.startswith(("    ", "\t")) for line in stripped.splitlines()) >= 2:
        return "indented block"
    if _COMMENT.match(stripped):
        return "comment"
    if _HEADING.match(stripped):
        return "markup heading"
    if any(token in stripped for token in _STRONG):
        return "code operator"
    if _DECLARATION.match(stripped) or _TRAILING.search(stripped):
        return "code line"
    if _POWERSHELL.match(stripped):
        return "shell command"
    words = stripped.lstrip("$> ").split()
    if words and words[0].lower() in _SHELL and len(words) > 1:
        rest = words[1:]
        if rest[0].lower() in _SUBCOMMANDS or any(w.startswith("-") or "/" in w or "=" in w or w.startswith("$")
                                                  for w in rest):
            return "shell command"
    symbols = sum(ch in _SYMBOLS for ch in stripped)
    if len(stripped) >= 8 and symbols / len(stripped) > 0.06:
        return "symbol-dense"
    return None


def normalise(text: str) -> str:
    """Case-folded, NFKC, whitespace collapsed, markdown emphasis and backticks dropped."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("`", "").replace("**", "")
    return " ".join(text.split())


def copy_direction(memory: str, snippet: str) -> str | None:
    """``"holds"`` when ``memory`` carries ``snippet`` verbatim, ``"inside"`` when ``memory`` is
    a piece of ``snippet``, None when neither (case, spacing and markdown ignored)."""
    mem, snip = normalise(memory), normalise(snippet)
    if not mem or not snip:
        return None
    if snip in mem and (len(snip) >= MIN_OVERLAP_CHARS or snip == mem):
        return "holds"
    if mem in snip and len(mem) >= MIN_OVERLAP_CHARS:
        return "inside"
    run = SequenceMatcher(None, mem, snip, autojunk=False).find_longest_match(0, len(mem), 0, len(snip)).size
    if run < 2 * MIN_OVERLAP_CHARS:
        return None
    if run >= COMMON_RUN_SHARE * len(snip):
        return "holds"
    return "inside" if run >= COMMON_RUN_SHARE * len(mem) else None


def assign(similarity: np.ndarray, threshold: float) -> dict[int, int]:
    """Memory index -> fact index: a maximum one-to-one matching over pairs >= threshold.

    Kuhn's augmenting paths, trying each memory's facts closest first and memories in
    order of their best pair, so among maximum matchings the close pairs are preferred.
    """
    rows, cols = similarity.shape
    edges = {m: [f for f in np.argsort(-similarity[m]) if similarity[m, f] >= threshold] for m in range(rows)}
    owner: dict[int, int] = {}  # fact -> memory

    def augment(memory: int, seen: set[int]) -> bool:
        for fact in edges[memory]:
            if fact in seen:
                continue
            seen.add(fact)
            if fact not in owner or augment(owner[fact], seen):
                owner[fact] = memory
                return True
        return False

    order = sorted(range(rows), key=lambda m: -float(similarity[m].max()) if cols else 0.0)
    for memory in order:
        if edges[memory]:
            augment(memory, set())
    return {int(m): int(f) for f, m in owner.items()}


@dataclass
class MemoryMark:
    """One stored memory's verdict, with its closest gold fact."""

    memory: str
    status: str  # matched | duplicate | stale | junk | unmatched
    fact: str | None
    score: float
    reason: str = ""


@dataclass
class TranscriptScore:
    facts: int
    facts3: int
    recalled: int
    recalled3: int
    stored: int
    matched: int
    junk: int
    duplicates: int
    stale: int
    marks: list[MemoryMark] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


class Matcher:
    """Embeds with the product's MiniLM and scores one transcript's memories."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, embedder: Any = None) -> None:
        if embedder is None:
            from sidecar.store.embedder import MiniLMEmbedder

            embedder = MiniLMEmbedder()
        self.embedder = embedder
        self.threshold = threshold

    def _cosines(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        if not left or not right:
            return np.zeros((len(left), len(right)), dtype=np.float32)
        a, b = self.embedder.embed(list(left)), self.embedder.embed(list(right))
        return np.asarray(a) @ np.asarray(b).T

    def score(self, memories: Sequence[str], label: dict[str, Any]) -> TranscriptScore:
        """Score the stored ``memories`` of one transcript against its ``label`` (a labels.jsonl row)."""
        facts = [f["fact"] for f in label["facts"]]
        important = {i for i, f in enumerate(label["facts"]) if f.get("importance") == 3}
        old = [(i, f["superseded"]) for i, f in enumerate(label["facts"]) if f.get("superseded")]
        snippets = list(label["must_not_store"])
        t = self.threshold
        fact_sim = self._cosines(memories, facts)
        old_sim = self._cosines(memories, [text for _, text in old])
        snip_sim = self._cosines(memories, snippets)
        code = [code_reason(m) for m in memories]
        copied = [self._copy(m, snippets, "holds") for m in memories]
        best = [float(fact_sim[m].max()) if facts else 0.0 for m in range(len(memories))]
        stale = {m for m in range(len(memories)) if code[m] is None and old
                 and float(old_sim[m].max()) >= t and float(old_sim[m].max()) > best[m]}
        eligible = fact_sim.copy()
        for m in range(len(memories)):
            if code[m] is not None or copied[m] is not None or m in stale:
                eligible[m, :] = -1.0
        pairs = assign(eligible, t) if facts else {}
        recalled = {f for f in range(len(facts)) if (eligible[:, f] >= t).any()} if memories else set()
        marks = []
        for m, text in enumerate(memories):
            top = int(fact_sim[m].argmax()) if facts else None
            closest, closeness = (facts[top], best[m]) if top is not None else (None, 0.0)
            if code[m] is not None or copied[m] is not None:
                marks.append(MemoryMark(text, "junk", closest, closeness, code[m] or copied[m] or ""))
            elif m in stale:
                i = int(old_sim[m].argmax())
                marks.append(MemoryMark(text, "stale", facts[old[i][0]], float(old_sim[m, i]), "superseded value"))
            elif m in pairs:
                marks.append(MemoryMark(text, "matched", facts[pairs[m]], float(fact_sim[m, pairs[m]])))
            elif closeness >= t:
                marks.append(MemoryMark(text, "duplicate", closest, closeness, "its fact is taken"))
            elif snippets and (hit := self._snippet_hit(text, snippets, snip_sim[m])):
                marks.append(MemoryMark(text, "junk", closest, closeness, hit))
            else:
                marks.append(MemoryMark(text, "unmatched", closest, closeness))
        count = lambda status: sum(mark.status == status for mark in marks)  # noqa: E731
        return TranscriptScore(
            facts=len(facts), facts3=len(important), recalled=len(recalled), recalled3=len(recalled & important),
            stored=len(memories), matched=count("matched"), junk=count("junk"), duplicates=count("duplicate"),
            stale=count("stale"), marks=marks, missed=[facts[f] for f in range(len(facts)) if f not in recalled])

    @staticmethod
    def _copy(memory: str, snippets: list[str], direction: str) -> str | None:
        for snippet in snippets:
            if copy_direction(memory, snippet) == direction:
                return f"must_not_store copy: {snippet[:60]}"
        return None

    def _snippet_hit(self, memory: str, snippets: list[str], sims: np.ndarray) -> str | None:
        i = int(sims.argmax())
        if float(sims[i]) >= self.threshold:
            return f"must_not_store {float(sims[i]):.2f}: {snippets[i][:60]}"
        return self._copy(memory, snippets, "inside")
