"""The three-session showcase: memory that outlives the process, and stays with its owner.

1. alice (a process): wipe, store four preferences, print the rows, exit;
2. alice (a new process): ask for somewhere to eat; print the retrieval trace and the reply;
3. bob (another process): plant one memory, ask the same; his trace holds none of alice's rows.

It writes ``run-log.json`` (PIDs, ids, scores, timings, reply tokens) and
``showcase.html``, a single self-contained page rendering that log. With Ollama
(``--ollama`` or detected) the reply is the model's streamed answer; without,
the page shows the exact prompt that would be sent.

Run: ``memctl showcase`` or ``python -m sidecar_examples.showcase --out DIR``.
"""

from __future__ import annotations

import argparse
import shutil
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sidecar_client.client import Client, daemon_listening
from sidecar_shared.errors import SidecarError
from sidecar_shared.paths import HOME_ENV, app_paths

from . import ollama_stream as ollama
from .showcase_page import render_page
from .showcase_steps import BOB_MEMORY

READY_TIMEOUT_S = 90.0


def _start_private_daemon(env: dict[str, str]) -> subprocess.Popen:
    log = open(Path(env[HOME_ENV]) / "daemon.log", "wb")  # noqa: SIM115 - lives as long as the daemon
    daemon = subprocess.Popen([sys.executable, "-m", "sidecar", "serve", "--log-level", "WARNING"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    paths = app_paths(env)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon exited with {daemon.returncode}; see {env[HOME_ENV]}/daemon.log")
        if daemon_listening(paths.socket_path):
            try:
                if Client(paths).ping().get("state") != "starting":  # "starting": the store is still loading
                    return daemon
            except SidecarError:
                pass
        time.sleep(0.1)
    daemon.kill()
    raise SystemExit(f"the daemon did not become ready in {READY_TIMEOUT_S:g}s")


def _detect_model(choice: bool | None, url: str, preferred: str | None) -> tuple[str | None, str]:
    """(model or None, why): explicit --ollama fails loudly, auto-detection quietly."""
    if choice is False:
        return None, "disabled with --no-ollama"
    try:
        model = ollama.pick_model(ollama.pulled_models(url), ollama.free_ram_bytes(), preferred)
    except ollama.OllamaUnavailable as exc:
        if choice:
            raise SystemExit(f"{exc}\n{ollama.install_hint(preferred or 'qwen2.5:1.5b')}") from None
        return None, f"Ollama not running at {url}"
    if model is None:
        wanted = preferred or ollama.candidate_models(ollama.free_ram_bytes())[0]
        if choice:
            raise SystemExit(f"no suitable model pulled; run: ollama pull {wanted}")
        return None, f"no suitable model pulled in Ollama (ollama pull {wanted})"
    return model, "detected"


def _run_session(name: str, args: list[str], env: dict[str, str], workdir: Path) -> dict[str, Any]:
    result = workdir / f"{name}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sidecar_examples.showcase_steps", *args, "--result", str(result)],
                   env=env, check=True)
    record = json.loads(result.read_text(encoding="utf-8"))
    record["name"] = name
    record["wall_ms"] = round((time.perf_counter() - started) * 1000, 2)  # includes interpreter start-up
    return record


def _checks(store: dict[str, Any], alice: dict[str, Any], bob: dict[str, Any], daemon_pid: int | None) -> dict[str, bool]:
    alice_ids = {row["id"] for row in store["rows"]}
    pids = [store["pid"], alice["pid"], bob["pid"], os.getpid()] + ([daemon_pid] if daemon_pid else [])
    return {
        "distinct_pids": len(set(pids)) == len(pids),
        "alice_rows_stored": len(store["rows"]) == 4,
        "alice_recalls_her_rows": bool(alice_ids) and alice_ids <= {h["id"] for h in alice["trace"]},
        "bob_sees_none_of_alice": not ({h["id"] for h in bob["trace"]} & alice_ids),
        "bob_trace_is_bobs": all(h.get("user_id") == "bob" for h in bob["trace"]) and bool(bob["trace"]),
    }


def run(out: Path, *, use_running: bool = False, ollama_choice: bool | None = None, ollama_url: str | None = None,
        chat_model: str | None = None, keep: bool = False) -> int:
    """Run the three sessions and write ``run-log.json`` and ``showcase.html`` into ``out``.

    The private daemon's store (a folder under /tmp) is removed afterwards unless ``keep``.
    """
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    daemon: subprocess.Popen | None = None
    if use_running:
        if not daemon_listening(app_paths(env).socket_path):
            raise SystemExit("--use-running: no daemon is running for this SIDECAR_HOME (start it: memctl serve)")
    else:
        env[HOME_ENV] = tempfile.mkdtemp(prefix="sidecar-showcase-", dir="/tmp")  # short: ipc paths are capped
        print(f"starting a private daemon on SIDECAR_HOME={env[HOME_ENV]}")
        daemon = _start_private_daemon(env)
    url = ollama.base_url(ollama_url)
    model, model_note = _detect_model(ollama_choice, url, chat_model)
    print(f"model: {model or 'none'} ({model_note})\n")
    daemon_status = Client(app_paths(env)).status()
    daemon_pid = daemon.pid if daemon else daemon_status.get("pid")
    model_args = ["--model", model, "--ollama-url", url] if model else []
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="showcase-") as workdir:
            store = _run_session("session-1", ["--step", "store", "--user", "alice"], env, Path(workdir))
            print()
            alice = _run_session("session-2", ["--step", "ask", "--user", "alice", "--session", "2", *model_args],
                                 env, Path(workdir))
            print()
            bob = _run_session("session-3", ["--step", "ask", "--user", "bob", "--session", "3", "--plant", BOB_MEMORY,
                                             *model_args], env, Path(workdir))
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(30)
            if keep:
                print(f"kept the private store: SIDECAR_HOME={env[HOME_ENV]}")
            else:
                shutil.rmtree(env[HOME_ENV], ignore_errors=True)
    checks = _checks(store, alice, bob, daemon_pid)
    log = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "orchestrator_pid": os.getpid(),
        "daemon": {"pid": daemon_pid, "private": daemon is not None, "sidecar_home": env.get(HOME_ENV),
                   "exit_code": daemon.returncode if daemon else None},
        # host only: the page must not carry URLs (it makes no requests and should not look like it might)
        "model": {"name": model, "note": model_note, "host": url.split("://", 1)[-1]},
        "sessions": [store, alice, bob],
        "checks": checks,
        "total_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    (out / "run-log.json").write_text(json.dumps(log, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "showcase.html").write_text(render_page(log), encoding="utf-8")
    print("\nchecks: " + ", ".join(f"{name}={'ok' if ok else 'FAILED'}" for name, ok in checks.items()))
    print(f"wrote {out / 'run-log.json'} and {out / 'showcase.html'}")
    return 0 if all(checks.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("showcase-out"))
    parser.add_argument("--use-running", action="store_true", help="use the daemon of the current SIDECAR_HOME")
    parser.add_argument("--ollama", dest="ollama", action="store_true", default=None, help="require Ollama")
    parser.add_argument("--no-ollama", dest="ollama", action="store_false", help="never use Ollama")
    parser.add_argument("--ollama-url", default=None)
    parser.add_argument("--chat-model", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the private daemon's store under /tmp")
    options = parser.parse_args(argv)
    return run(options.out, use_running=options.use_running, ollama_choice=options.ollama,
               ollama_url=options.ollama_url, chat_model=options.chat_model, keep=options.keep)


if __name__ == "__main__":
    sys.exit(main())
