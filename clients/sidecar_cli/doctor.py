"""``memctl doctor``: is the memory daemon healthy on this machine, and if not, what to paste.

A client program: it imports the standard library and this client package
only (never the daemon's libraries), so it works when the daemon is down or
broken. Checks that need a running daemon are skipped then; the rest still run.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sidecar_cli import doctor_local as local
from sidecar_client.client import Client
from sidecar_cli.doctor_local import Check
from sidecar_cli.doctor_pg import check_postgres, uses_postgres
from sidecar_cli.scrub import check_secrets
from sidecar_shared.errors import DaemonNotRunning, DaemonTimeout, SidecarError
from sidecar_shared.paths import AppPaths, app_paths

START_FIX = "memctl serve    (or: memctl service start)"
STORE_META = Path("store") / "store.json"


def probe_daemon(paths: AppPaths, timeout: float = 3.0) -> tuple[dict[str, Any] | None, Check]:
    """The daemon's status reply (None if it does not answer) and the reachability check."""
    client = Client(paths, timeout=timeout, retries=0)
    try:
        status = client.status()
    except DaemonNotRunning:
        return None, Check("daemon", "fail", f"not running: nothing listens on {paths.socket_path}", START_FIX)
    except DaemonTimeout:
        return None, Check("daemon", "fail", f"no answer within {timeout:g}s on {paths.socket_path}",
                           "memctl service restart    (or stop the hung process and run: memctl serve)")
    except SidecarError as exc:
        return None, Check("daemon", "fail", str(exc), START_FIX)
    finally:
        client.close()
    if status.get("state") == "starting":  # the store still loads: say which parts answer already
        parts = ", ".join(f"{part} {state}" for part, state in (status.get("loading") or {}).items())
        return status, Check("daemon", "ok", f"reachable: pid {status.get('pid')}, version {status.get('version')}, "
                                             f"starting ({parts or 'loading'})")
    return status, Check("daemon", "ok", f"reachable: pid {status.get('pid')}, version {status.get('version')}, "
                                         f"{status.get('memories')} memories")


def check_runtime_dir(paths: AppPaths, daemon_up: bool) -> Check:
    folder = paths.runtime_dir
    if not folder.exists():
        return Check("socket folder", "fail" if daemon_up else "ok",
                     f"{folder} does not exist" + ("" if daemon_up else " (created 0700 when the daemon starts)"))
    info = folder.stat()
    mode = info.st_mode & 0o777
    if info.st_uid != os.getuid():
        return Check("socket folder", "fail", f"{folder} belongs to uid {info.st_uid}, not you",
                     f"memctl service stop; sudo rm -r {folder}; memctl service start")
    if mode != 0o700:
        return Check("socket folder", "fail", f"{folder} has mode {mode:04o}: other users could reach the socket",
                     f"chmod 700 {folder}")
    return Check("socket folder", "ok", f"{folder} is private (0700)")


def lock_holder(lock_path: Path) -> tuple[bool, int | None]:
    """(is the lock held by some process, the PID recorded in it)."""
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return False, None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        held = False
    except BlockingIOError:
        held = True
    finally:
        os.close(fd)
    try:
        text = lock_path.read_text().strip()
    except OSError:
        text = ""
    return held, int(text) if text.isdigit() else None


def check_single_daemon(paths: AppPaths, status: Mapping[str, Any] | None) -> Check:
    held, pid = lock_holder(paths.lock_path)
    expected_store = str(paths.data_dir / "store")
    if status is None:
        if held:
            return Check("one daemon per store", "fail",
                         f"PID {pid} holds the store lock {paths.lock_path} but no daemon answers the socket",
                         f"kill {pid}; memctl service start" if pid else "memctl service restart")
        return Check("one daemon per store", "ok", "no process holds the store lock")
    daemon_pid = status.get("pid")
    if not held:
        return Check("one daemon per store", "fail",
                     f"the daemon (pid {daemon_pid}) answers but nobody holds {paths.lock_path}: "
                     "it serves another store than this shell's", "memctl service restart")
    if pid != daemon_pid:
        return Check("one daemon per store", "fail",
                     f"PID {pid} holds the store lock but PID {daemon_pid} answers the socket",
                     f"kill {daemon_pid} {pid}; memctl service start")
    if status.get("store_path") and str(status["store_path"]) != expected_store:
        return Check("one daemon per store", "warn",
                     f"the daemon serves {status['store_path']}, this shell expects {expected_store}",
                     "use the same SIDECAR_HOME / XDG_* variables as the service (memctl service install)")
    return Check("one daemon per store", "ok", f"PID {pid} holds {paths.lock_path}")


def check_store(paths: AppPaths, status: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Check:
    if uses_postgres(config):  # the store's card is a table of the database (see the pg checks)
        backend = (status or {}).get("store_backend") or {}
        return Check("store", "ok", f"PostgreSQL store {backend.get('collection', '')} "
                                    f"({status.get('memories')} memories)" if status else "PostgreSQL store "
                                    "(the daemon is down: not opened)")
    meta_path = paths.data_dir / STORE_META
    fix_mismatch = ("memctl export > memories.jsonl with the old embedder; point the config at a new "
                    "store (or SIDECAR_HOME); memctl import memories.jsonl")
    if not meta_path.is_file():
        if status is not None:
            return Check("store", "fail", f"{meta_path} is missing although the daemon runs", "memctl service restart")
        return Check("store", "ok", f"no store yet at {meta_path.parent}: created at the first start")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        recorded = (meta["embedder"], meta["dims"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check("store", "fail", f"{meta_path} is unreadable: {exc}",
                     f"restore {meta_path} from a backup (it records the store's embedder and dims)")
    migrating = meta.get("migrating")
    if migrating:
        backup = migrating.get("backup") if isinstance(migrating, dict) else None
        return Check("store", "fail", "an upgrade of the store was interrupted: it may be half-migrated and the "
                                      "daemon refuses to open it",
                     f"restore chroma/, history.db and store.json from {backup or 'your backup'} into "
                     f"{meta_path.parent}, then start the daemon (its log line says which versions to install)")
    if status is not None:
        serving = (status.get("embedder"), status.get("dims"))
        if serving != recorded:
            return Check("store", "fail", f"store holds {recorded[1]}-dim vectors of {recorded[0]}; the daemon "
                                          f"embeds with {serving[0]} ({serving[1]} dims)", fix_mismatch)
        return Check("store", "ok", f"open: {recorded[0]}, {recorded[1]} dims, {status.get('memories')} memories")
    name, dims = local.configured_embedder(config)
    if name != recorded[0] or (dims is not None and dims != recorded[1]):
        return Check("store", "fail", f"store holds {recorded[1]}-dim vectors of {recorded[0]}; the config asks "
                                      f"for {name}" + (f" ({dims} dims)" if dims else ""), fix_mismatch)
    return Check("store", "ok", f"{recorded[0]}, {recorded[1]} dims (the daemon is down: not opened)")


def check_telemetry(status: Mapping[str, Any] | None) -> Check:
    if status is None:
        return Check("telemetry off", "skip", "needs the running daemon (it sets the opt-outs itself at start)")
    per_variable = (status.get("admin") or {}).get("telemetry")
    if isinstance(per_variable, dict):
        missing = sorted(name for name, on in per_variable.items() if not on)
    else:
        missing = [] if status.get("telemetry_off") else ["(some)"]
    if missing:
        return Check("telemetry off", "fail", f"opt-outs not in effect in the daemon: {', '.join(missing)}",
                     "memctl service restart    (the daemon forces them at start)")
    return Check("telemetry off", "ok", f"{len(per_variable or {}) or 'all'} opt-out variables in effect")


def check_dead_letter(status: Mapping[str, Any] | None) -> Check:
    """Transcript jobs the write gate gave up on, and a damaged queue the daemon set aside."""
    if status is None:
        return Check("dead letter", "skip", "needs the running daemon")
    dead = (status.get("ingest") or {}).get("dead_letter")
    if not isinstance(dead, dict):
        return Check("dead letter", "skip", "the daemon does not report it (learning is off or it is older)")
    count = int(dead.get("count") or 0)
    if count:
        return Check("dead letter", "warn",
                     f"{count} transcript job(s) failed {dead.get('max_attempts')} times and are no longer retried",
                     "memctl queue list    (then fix the judge: [gate] backend/model, ollama) and: memctl queue "
                     "retry --all    (or give up on them: memctl queue drop --all)")
    if dead.get("recovered_from"):
        return Check("dead letter", "warn", f"queue.db was damaged and kept as {dead['recovered_from']}; "
                                            "transcripts are being read again from their start",
                     "nothing to do; delete the kept file once you no longer want it")
    return Check("dead letter", "ok", "no transcript job was given up on")


def run_doctor(env: Mapping[str, str] | None = None) -> list[Check]:
    """Every check, in the order a user would fix them."""
    env = os.environ if env is None else env
    paths = app_paths(env)
    config, config_check = local.load_config(paths.config_file)
    status, daemon_check = probe_daemon(paths)
    admin = (status or {}).get("admin") or {}
    ingest = (status or {}).get("ingest") or {}
    embedder = status.get("embedder") if status else local.configured_embedder(config)[0]
    return [
        config_check,
        daemon_check,
        check_runtime_dir(paths, status is not None),
        check_single_daemon(paths, status),
        check_store(paths, status, config),
        *check_postgres(config),
        local.check_model(admin.get("model_path"), embedder == local.EMBEDDED_MODEL_NAME),
        *local.check_ollama(config, env, paths.config_file),
        check_telemetry(status),
        check_dead_letter(status),
        check_secrets(paths, status),
        local.check_disk(paths.data_dir),
        *local.check_sources(config, env, paths.config_file, ingest.get("watched_files")),
    ]


def healthy(checks: list[Check]) -> bool:
    """False when any check failed (warnings and skips are fine)."""
    return all(check.status != "fail" for check in checks)


def render_checks(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{check.status.upper():<5} {check.name.ljust(width)}  {check.detail}")
        if check.fix and check.status in ("fail", "warn"):
            lines.append(f"{'':<5} {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == "fail" for check in checks)
    warned = sum(check.status == "warn" for check in checks)
    lines.append("")
    lines.append("all checks passed" if not failed and not warned else f"{failed} problem(s), {warned} warning(s)")
    return "\n".join(lines)
