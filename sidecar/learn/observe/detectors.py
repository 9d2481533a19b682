"""Facts a careful reader takes from tool output: manifests, lockfiles, OS release, missing shells.

Each detector is narrow on purpose: it fires only on output whose shape it knows
(a package.json document, a root folder listing, /etc/os-release) so what it
reports was verified, not guessed. Versions are left out: they change too often
to be worth remembering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from sidecar.learn.observe.events import ToolEvent

_MAX_OUTPUT = 200_000
_MAX_RULES = 8
_RUN_STEP = re.compile(r"^\s*(?:-\s*)?run:\s*[|>]?\s*(\S[^\n#]*)$", re.MULTILINE)
_GATE_COMMAND = re.compile(r"(?i)\b(?:test|pytest|vitest|jest|lint|ruff|eslint|mypy|tsc|typecheck|clippy|"
                           r"cargo (?:test|fmt)|go (?:test|vet)|prettier|biome|check)\b")
_INSTRUCTION_FILE = re.compile(r"(?:^|[\\/])(?:CLAUDE|AGENTS|GEMINI|CONTRIBUTING)\.md$|\.cursorrules$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)])\s+(.+)$")
_RULE_WORDS = re.compile(r"(?i)\b(?:always|never|must|do not|don't|use|run|prefer|avoid|only|each|every|before|"
                         r"required?|should)\b")


@dataclass(frozen=True)
class Observation:
    """One verified fact and the evidence it was read from."""

    fact: str
    kind: str  # "project_convention" or "environment"
    evidence: str


# (dependency, what it makes the project); the first match in order wins for each group.
_FRAMEWORKS = (
    ("next", "a Next.js app"), ("nuxt", "a Nuxt app"), ("@sveltejs/kit", "a SvelteKit app"),
    ("@remix-run/react", "a Remix app"), ("astro", "an Astro site"), ("@angular/core", "an Angular app"),
    ("expo", "an Expo (React Native) app"), ("react-native", "a React Native app"), ("electron", "an Electron app"),
    ("@nestjs/core", "a NestJS service"), ("vue", "a Vue app"), ("svelte", "a Svelte app"),
    ("react", "a React app"), ("express", "an Express server"), ("fastify", "a Fastify server"),
    ("hono", "a Hono server"),
)
_DATA_LAYERS = (
    ("prisma", "Prisma"), ("@prisma/client", "Prisma"), ("drizzle-orm", "Drizzle ORM"), ("typeorm", "TypeORM"),
    ("sequelize", "Sequelize"), ("mongoose", "MongoDB (Mongoose)"), ("@supabase/supabase-js", "Supabase"),
    ("better-sqlite3", "SQLite (better-sqlite3)"), ("pg", "PostgreSQL (pg)"), ("mysql2", "MySQL (mysql2)"),
)
_PY_FRAMEWORKS = (("django", "a Django app"), ("fastapi", "a FastAPI service"), ("flask", "a Flask app"),
                  ("streamlit", "a Streamlit app"))
_PY_DATA = (("sqlalchemy", "SQLAlchemy"), ("alembic", "Alembic migrations"), ("psycopg", "PostgreSQL (psycopg)"),
            ("asyncpg", "PostgreSQL (asyncpg)"), ("pymongo", "MongoDB"))
_LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "Yarn"), ("bun.lockb", "Bun"), ("bun.lock", "Bun"),
    ("package-lock.json", "npm"), ("uv.lock", "uv"), ("poetry.lock", "Poetry"), ("Pipfile.lock", "Pipenv"),
    ("pdm.lock", "PDM"), ("Cargo.lock", "Cargo"), ("Gemfile.lock", "Bundler"), ("composer.lock", "Composer"),
)
_LISTING_COMMAND = re.compile(r"(?i)^\s*(?:ls|dir|get-childitem|gci|rg --files|fd|find \.|tree|git ls-files)\b")
_LISTING_TOOLS = ("LS", "list_directory", "Glob", "glob")
_NOT_RECOGNIZED = re.compile(r"The term '(?P<tool>[\w.-]+)' is not recognized as the name of a cmdlet")
_CMDLET = re.compile(r"(?:^|[;|(]\s*)(?:Get|Set|Select|Test|New|Remove|Copy|Move|Write|Invoke|Start|Stop)-[A-Z][a-zA-Z]+\b")
# tools agents reach for by habit; knowing one is missing changes how the agent works here
_UNIX_TOOLS = {"bash", "sh", "zsh", "grep", "sed", "awk", "find", "xargs", "curl", "wget", "make", "python",
               "python3", "pip", "pip3", "node", "npm", "npx", "git", "docker", "rg", "jq", "ls", "cat", "which"}
_OS_NAME = re.compile(r'^NAME="?(?P<name>[^"\n]+)"?\s*$', re.MULTILINE)
_OS_LIKE = re.compile(r'^ID_LIKE="?(?P<like>[^"\n]+)"?\s*$', re.MULTILINE)
_CARGO_PACKAGE = re.compile(r"^\[package\]\s*$", re.MULTILINE)
_GO_MODULE = re.compile(r"^module\s+(?P<module>\S+)\s*$", re.MULTILINE)


def observe(event: ToolEvent, project: str | None) -> list[Observation]:
    """What ``event`` verifiably shows about the project (named ``project``) or the machine."""
    if event.failed and not _NOT_RECOGNIZED.search(event.output):
        return []
    output = event.output[:_MAX_OUTPUT]
    found: list[Observation] = []
    for detector in _DETECTORS:
        found.extend(detector(event, output, _subject(project)))
    return list({o.fact: o for o in found}.values())


def _subject(project: str | None) -> str:
    return f"Project {project}" if project else "The project"


def _source(event: ToolEvent) -> str:
    return (event.path or event.command or event.name or "").strip()


def _package_json(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    if "package.json" not in _source(event):
        return []
    try:
        manifest = json.loads(output[output.find("{"):])
    except ValueError:
        return []
    if not isinstance(manifest, dict):
        return []
    deps: dict[str, object] = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(manifest.get(key), dict):
            deps.update(manifest[key])
    found = []
    framework = next((label for dep, label in _FRAMEWORKS if dep in deps), None)
    if framework:
        found.append(Observation(f"{subject} is {framework}", "project_convention", "package.json"))
    data = next((label for dep, label in _DATA_LAYERS if dep in deps), None)
    if data:
        found.append(Observation(f"{subject} uses {data} for its database", "project_convention", "package.json"))
    manager = manifest.get("packageManager")
    if isinstance(manager, str) and "@" in manager:
        found.append(Observation(f"{subject} uses {manager.split('@')[0]} (packageManager in package.json)",
                                 "project_convention", "package.json"))
    return found


def _npm_scripts(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    """The project's test and lint gates, as its package.json scripts name them."""
    if "package.json" not in _source(event):
        return []
    try:
        scripts = json.loads(output[output.find("{"):]).get("scripts")
    except (ValueError, AttributeError):
        return []
    if not isinstance(scripts, dict):
        return []
    gates = [f"`{name}`: {command}" for name, command in scripts.items()
             if name in ("test", "lint", "typecheck", "check") and isinstance(command, str)
             and "no test specified" not in command]
    if not gates:
        return []
    return [Observation(f"{subject} scripts: " + "; ".join(gates), "project_convention", "package.json scripts")]


def _ci_workflow(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    """What CI runs: the ``run:`` steps of a GitHub Actions workflow or a GitLab CI file that test or lint."""
    source = _source(event)
    if not re.search(r"\.github/workflows/[\w.-]+\.ya?ml|\.gitlab-ci\.ya?ml", source):
        return []
    steps = [m.group(1).strip() for m in _RUN_STEP.finditer(output)]
    gates = [step for step in steps if _GATE_COMMAND.search(step)]
    if not gates:
        return []
    ci = "GitHub Actions" if ".github" in source else "GitLab CI"
    listed = ", ".join(f"`{g}`" for g in dict.fromkeys(gates[:4]))
    return [Observation(f"{subject} CI ({ci}) runs {listed}", "project_convention", source)]


def _instruction_file(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    """Standing rules written down for agents (CLAUDE.md, AGENTS.md, GEMINI.md, CONTRIBUTING.md)."""
    if not _INSTRUCTION_FILE.search(_source(event)):
        return []
    rules = []
    for line in output.splitlines():
        item = _LIST_ITEM.match(line)
        text = (item.group(1) if item else "").strip().strip("*_ ")
        if 12 <= len(text) <= 160 and _RULE_WORDS.search(text) and not text.endswith(":"):
            rules.append(text.rstrip("."))
    return [Observation(f"{subject}: {rule[:1].lower() + rule[1:]}", "project_convention", _source(event))
            for rule in rules[:_MAX_RULES]]


def _pyproject(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    if "pyproject.toml" not in _source(event) or "[project]" not in output and "[tool.poetry]" not in output:
        return []
    lowered = output.lower()
    found = []
    framework = next((label for dep, label in _PY_FRAMEWORKS if re.search(rf'["\s]{dep}\s*[>=<~\[";,]', lowered)), None)
    if framework:
        found.append(Observation(f"{subject} is {framework}", "project_convention", "pyproject.toml"))
    data = next((label for dep, label in _PY_DATA if re.search(rf'["\s]{dep}\s*[>=<~\[";,]', lowered)), None)
    if data:
        found.append(Observation(f"{subject} uses {data} for its database", "project_convention", "pyproject.toml"))
    if "[tool.poetry]" in output:
        found.append(Observation(f"{subject} is managed with Poetry", "project_convention", "pyproject.toml"))
    elif "[tool.uv]" in output:
        found.append(Observation(f"{subject} is managed with uv", "project_convention", "pyproject.toml"))
    return found


def _manifest_language(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    source = _source(event)
    if source.endswith("Cargo.toml") and _CARGO_PACKAGE.search(output):
        return [Observation(f"{subject} is written in Rust (Cargo)", "project_convention", "Cargo.toml")]
    module = _GO_MODULE.search(output) if source.endswith("go.mod") else None
    if module:
        return [Observation(f"{subject} is written in Go (module {module.group('module')})",
                            "project_convention", "go.mod")]
    return []


def _root_listing(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    """A listing of the project's root: its lockfile names the package manager."""
    listing = event.name in _LISTING_TOOLS or bool(event.command and _LISTING_COMMAND.match(event.command))
    if not listing or (event.command and re.search(r"\s-(?:Recurse|R)\b|\s[A-Za-z]:\\|\s/|\s~", event.command)):
        return []
    names = {line.strip().split()[-1] for line in output.splitlines() if line.strip()}
    for lockfile, manager in _LOCKFILES:
        if lockfile in names:
            return [Observation(f"{subject} uses {manager} ({lockfile})", "project_convention", lockfile)]
    return []


def _os_release(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    if "os-release" not in _source(event):
        return []
    name = _OS_NAME.search(output)
    if not name:
        return []
    like = _OS_LIKE.search(output)
    based = f" ({like.group('like').split()[0].capitalize()}-based)" if like else ""
    return [Observation(f"Runs {name.group('name').strip()}{based}", "environment", "/etc/os-release")]


def _missing_shell_tool(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    missing = _NOT_RECOGNIZED.search(output)
    if not missing:
        return []
    tool = missing.group("tool")
    if tool.lower().removesuffix(".exe") not in _UNIX_TOOLS:
        return [Observation("Works on Windows with PowerShell", "environment", missing.group(0))]
    return [Observation(f"Works on Windows with PowerShell; {tool} is not installed", "environment",
                        missing.group(0))]


def _powershell(event: ToolEvent, output: str, subject: str) -> list[Observation]:
    """A PowerShell cmdlet that ran: the agent's shell on this machine is Windows PowerShell."""
    if event.failed or not event.command or not _CMDLET.search(event.command) or output.startswith("execution error"):
        return []
    return [Observation("Works on Windows with PowerShell", "environment", event.command[:80])]


_DETECTORS: tuple[Callable[[ToolEvent, str, str], list[Observation]], ...] = (
    _package_json, _npm_scripts, _ci_workflow, _instruction_file, _pyproject, _manifest_language, _root_listing, _os_release, _missing_shell_tool, _powershell,
)
