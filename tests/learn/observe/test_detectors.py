"""Verified observations: what tool output shows about the project and the machine."""

from __future__ import annotations

import json

from sidecar.learn.observe import ToolEvent, observe, project_name
from sidecar.learn.observe.events import clean_output, tool_event


def facts(event: ToolEvent, project: str | None = "shop") -> list[str]:
    return [o.fact for o in observe(event, project)]


def test_package_json_names_the_framework_and_the_database_layer() -> None:
    manifest = {"name": "x", "dependencies": {"next": "15", "react": "19", "@prisma/client": "6"}}
    event = tool_event("shell_command", {"command": "cat package.json"},
                       "Exit code: 0\nWall time: 1 seconds\nOutput:\n" + json.dumps(manifest))
    assert facts(event) == ["Project shop is a Next.js app", "Project shop uses Prisma for its database"]


def test_a_root_listing_names_the_package_manager_but_a_recursive_one_does_not() -> None:
    listing = "tsconfig.json\npackage.json\npackage-lock.json\nREADME.md\n"
    assert facts(tool_event("shell_command", {"command": "rg --files"}, listing)) == \
        ["Project shop uses npm (package-lock.json)"]
    assert facts(tool_event("shell_command", {"command": "ls -R /srv"}, listing)) == []
    assert facts(tool_event("Read", {"file_path": "/x/notes.md"}, listing)) == []


def test_os_release_and_missing_tools_are_environment_facts() -> None:
    release = 'NAME="CachyOS Linux"\nID=cachyos\nID_LIKE=arch\n'
    assert facts(tool_event("run_shell_command", {"command": "cat /etc/os-release"}, release)) == \
        ["Runs CachyOS Linux (Arch-based)"]
    error = "bash : The term 'bash' is not recognized as the name of a cmdlet, function, script file"
    assert facts(tool_event("shell_command", {"command": "bash --version"}, error, failed=True)) == \
        ["Works on Windows with PowerShell; bash is not installed"]


def test_a_powershell_cmdlet_that_ran_shows_the_shell() -> None:
    assert facts(tool_event("shell_command", {"command": "Get-ChildItem -Force"}, "Mode  Name")) == \
        ["Works on Windows with PowerShell"]
    assert facts(tool_event("shell_command", {"command": "Get-ChildItem -Force"},
                            "execution error: sandbox runner failed")) == []


def test_failed_calls_and_unknown_shapes_say_nothing() -> None:
    assert facts(tool_event("Read", {"file_path": "package.json"}, "not json at all", failed=True)) == []
    assert facts(tool_event("Read", {"file_path": "package.json"}, "{ broken")) == []
    assert facts(tool_event("Bash", {"command": "git log --oneline"}, "00e687d changes\n")) == []


def test_outputs_are_unwrapped_and_projects_named_by_their_folder() -> None:
    assert clean_output("     1\u2192{\n     2\u2192}") == "{\n}"
    assert clean_output("\x1b[32;1mName\x1b[0m") == "Name"
    assert project_name("C:\\Users\\kunal\\Downloads\\Empire-of-bits-main") == "Empire-of-bits-main"
    assert project_name("/home/da/akerud/random") == "random"
    assert project_name("/home/da") is None
    assert project_name(None) is None


def test_test_and_lint_gates_from_scripts_and_ci() -> None:
    manifest = {"scripts": {"dev": "next dev", "test": "vitest run", "lint": "eslint ."}}
    assert facts(tool_event("Read", {"file_path": "/w/shop/package.json"}, json.dumps(manifest))) == \
        ["Project shop scripts: `test`: vitest run; `lint`: eslint ."]
    workflow = "jobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n      - run: pnpm install\n      - run: pnpm lint\n      - run: pnpm test -- --coverage\n"
    assert facts(tool_event("Read", {"file_path": "/w/shop/.github/workflows/ci.yml"}, workflow)) == \
        ["Project shop CI (GitHub Actions) runs `pnpm lint`, `pnpm test -- --coverage`"]


def test_rules_written_for_agents_become_project_conventions() -> None:
    claude_md = ("# Shop\n\nSome intro text.\n\n## Workflow\n- Always create a git worktree per task\n"
                 "- Run `pnpm lint && pnpm test` before every commit\n- Architecture:\n- React 19\n")
    assert facts(tool_event("Read", {"file_path": "/w/shop/CLAUDE.md"}, claude_md)) == [
        "Project shop: always create a git worktree per task",
        "Project shop: run `pnpm lint && pnpm test` before every commit",
    ]
