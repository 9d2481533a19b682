"""memctl scrub-secrets: the report as text, and the doctor's check when the daemon is down."""

from __future__ import annotations

from sidecar_cli.scrub import check_secrets, render_report, summary
from sidecar_shared.paths import app_paths

SCAN = {"dry_run": True, "found": {"memories": 2, "history": 5, "keyword": 0, "sessions": 1, "memory_md": 1},
        "total": 9, "kinds": {"card-number": 2, "pin": 1},
        "memories": [{"id": "m1", "user_id": "ana", "agent_id": None, "run_id": None, "kinds": ["card-number"],
                      "fields": ["text"]}],
        "sessions": [{"path": "/x/s.session.json", "session_id": "chat", "kinds": ["pin"]}],
        "memory_md": [{"path": "/x/MEMORY.md", "line": 4, "kinds": ["card-number"], "managed": False}],
        "remaining": [], "restart_needed": False}


def test_the_dry_run_report_says_where_and_what_to_run() -> None:
    assert summary(SCAN["found"]) == "2 memories, 5 history rows, 1 session file, 1 MEMORY.md line"
    text = render_report(SCAN)
    assert text.startswith("found: 2 memories") and "kinds: card-number (2), pin (1)" in text
    assert "memory m1 (user_id ana): text [card-number]" in text and "session chat: [pin]" in text
    assert "/x/MEMORY.md:4 (your own text, outside the managed section)" in text
    assert text.endswith("to redact them: memctl scrub-secrets")


def test_the_scrub_report_lists_what_is_left_and_the_restart() -> None:
    report = {**SCAN, "dry_run": False, "remaining": SCAN["memory_md"], "restart_needed": True}
    text = render_report(report)
    assert text.startswith("scrubbed: 2 memories") and "remove the MEMORY.md lines above by hand" in text
    assert "memctl service restart" in text.splitlines()[-1]
    assert render_report({"dry_run": True, "found": {}, "total": 0}) == "found: nothing"


def test_the_doctor_skips_the_check_without_a_daemon(isolated_home) -> None:
    check = check_secrets(app_paths(), None)
    assert check.name == "secrets" and check.status == "skip"


def test_memctl_add_refuses_a_secret_in_one_line_without_echoing_it(shared_daemon) -> None:
    import os
    import subprocess
    import sys

    from sidecar.testing.waiting import ready_limit

    memctl = os.path.join(os.path.dirname(sys.executable), "memctl")
    result = subprocess.run([memctl, "add", "--user", "cli-secret", "Remember that my home alarm code is 258013"],
                            env=shared_daemon.env, capture_output=True, text=True, timeout=ready_limit())
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("memctl: secret_detected:") and "access-code" in result.stderr
    assert "258013" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert shared_daemon.client.call("get_all", {"filters": {"user_id": "cli-secret"}})["results"] == []
