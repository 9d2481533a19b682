"""The layered system prompt: fixed order, skipped gaps, per-layer truncation."""

from __future__ import annotations

from pathlib import Path

from sidecar.context.prompt import MAX_COMPONENT_LENGTH, PromptLayer, build_system_prompt
from sidecar_shared.markers import CONTEXT_END, wrap_context


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def full_workspace(root: Path) -> Path:
    write(root / "skills" / "pdf" / "SKILL.md", "---\nname: pdf-tools\ndescription: Read and fill PDFs\n---\n# PDF\n")
    write(root / "skills" / "git" / "SKILL.md", "# Git helper\n\nCommits carefully.\nMore text.\n")
    write(root / "AGENTS.md", "AGENTS protocol")
    write(root / "USER.md", "USER profile")
    write(root / "IDENTITY.md", "IDENTITY card")
    write(root / "SOUL.md", "SOUL persona")
    return root


def test_layers_in_fixed_order(tmp_path: Path) -> None:
    memory = wrap_context("- likes tea", "direct")
    parts = build_system_prompt(full_workspace(tmp_path), memory)
    assert [layer.name for layer in parts.layers] == ["skills", "soul", "identity", "user", "agents", "memory"]
    positions = [parts.text.index(s) for s in ("pdf-tools", "SOUL", "IDENTITY", "USER", "AGENTS", "- likes tea")]
    assert positions == sorted(positions)
    assert "- pdf-tools: Read and fill PDFs" in parts.text and "- git: Commits carefully." in parts.text
    assert "More text." not in parts.text
    assert parts.layers[1] == PromptLayer("soul", len("SOUL persona"), False)
    assert parts.text.endswith(CONTEXT_END)


def test_missing_layers_skipped_and_skills_file_fallback(tmp_path: Path) -> None:
    write(tmp_path / "SKILLS.md", "Skills list from a file")
    write(tmp_path / "USER.md", "   \n")  # blank counts as missing
    write(tmp_path / "AGENTS.md", "protocol")
    parts = build_system_prompt(tmp_path, "")
    assert [layer.name for layer in parts.layers] == ["skills", "agents"]
    assert parts.text == "Skills list from a file\n\nprotocol"
    only_memory = build_system_prompt(None, "memory block")
    assert only_memory.text == "memory block" and [layer.name for layer in only_memory.layers] == ["memory"]
    assert build_system_prompt(tmp_path / "absent", "").layers == []


def test_each_component_truncated_with_visible_marker(tmp_path: Path) -> None:
    write(tmp_path / "SOUL.md", "s" * (MAX_COMPONENT_LENGTH + 123))
    write(tmp_path / "USER.md", "u" * MAX_COMPONENT_LENGTH)
    memory = wrap_context("m" * (MAX_COMPONENT_LENGTH + 50), "direct")
    parts = build_system_prompt(tmp_path, memory)
    by_name = {layer.name: layer for layer in parts.layers}
    assert by_name["soul"].truncated and "[… truncated 123 characters]" in parts.text
    assert not by_name["user"].truncated and by_name["user"].chars == MAX_COMPONENT_LENGTH
    assert by_name["memory"].truncated and parts.text.endswith(CONTEXT_END)
    assert "s" * (MAX_COMPONENT_LENGTH + 1) not in parts.text
    assert sum(layer.chars for layer in parts.layers) + 2 * (len(parts.layers) - 1) == len(parts.text)
