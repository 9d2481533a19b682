"""Helpers shared by every ``memctl`` command module: scope options, ``--json``, error handling.

Errors raised by the client library become one line on stderr and a distinct
exit code here, and only here.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from sidecar_shared import exitcodes

from sidecar_cli import render
from sidecar_client.client import Client
from sidecar_shared.user import default_user_id
from sidecar_shared.errors import DaemonNotRunning, DaemonTimeout, NotFound, RequestFailed, SidecarError
from sidecar_shared.protocol import scope_ids



def scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--run", "run_id", default=None, help="Run / session id.")(func)
    func = click.option("--agent", "agent_id", default=None, help="Agent id (e.g. claude-code).")(func)
    func = click.option("--user", "user_id", default=None, help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")(func)
    return func


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(func)


def scope_of(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str]:
    scope = scope_ids(user_id, agent_id, run_id)
    return scope or {"user_id": default_user_id()}


class BadInput(SidecarError):
    """A command-line value memctl cannot use (reported in one line, exit code 2)."""


def fail(as_json: bool, code: str, message: str, exit_code: int) -> None:
    """Report one error: a line on stderr, or with ``--json`` an error object on stdout; then exit."""
    if as_json:
        click.echo(render.to_json({"ok": False, "error": {"code": code, "message": message}}))
    else:
        click.echo(f"memctl: {message}", err=True)
    sys.exit(exit_code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr (an error object with ``--json``) and a distinct exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return func(*args, **kwargs)
        except DaemonNotRunning as exc:
            fail(as_json, "daemon_not_running", str(exc), exitcodes.DAEMON_DOWN)
        except DaemonTimeout as exc:
            fail(as_json, "timeout", str(exc), exitcodes.DAEMON_DOWN)
        except NotFound as exc:
            fail(as_json, exc.code, f"not found: {exc.message}", exitcodes.ERROR)
        except RequestFailed as exc:
            fail(as_json, exc.code, f"{exc.code}: {exc.message}", exitcodes.ERROR)
        except BadInput as exc:
            fail(as_json, "bad_input", str(exc), exitcodes.USAGE)
        except SidecarError as exc:
            fail(as_json, "error", str(exc), exitcodes.ERROR)

    return wrapper


def json_object(value: str | None, option: str) -> dict[str, Any] | None:
    """``value`` parsed as a JSON object, or :class:`BadInput` naming ``option`` and what is wrong."""
    import json

    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{option} is not valid JSON ({exc.msg} at character {exc.pos}): {value}") from None
    if not isinstance(parsed, dict):
        raise BadInput(f"{option} must be a JSON object like '{{\"topic\": \"food\"}}', got {type(parsed).__name__}")
    return parsed


def client() -> Client:
    timeout = float(os.environ.get("SIDECAR_TIMEOUT", "10"))
    return Client(timeout=timeout)


def emit(as_json: bool, value: Any, text: Callable[[], str]) -> None:
    click.echo(render.to_json(value) if as_json else text())
